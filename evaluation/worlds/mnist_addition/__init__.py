"""MNIST addition (Π-NeSy): k-digit addition examples and learning the digits from sums."""
