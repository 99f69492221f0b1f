"""Visual Sudoku (Π-NeSy): ViSudo-PC-style valid / corrupted puzzles over MNIST images."""
