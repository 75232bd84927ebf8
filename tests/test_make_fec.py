"""tools/make_fec.py: the SYNTHETIC FEC-format dataset (layout, columns, disjoint subsets, votes,
images, determinism, learnability)."""
import csv
import filecmp
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_fec  # noqa: E402

Image = pytest.importorskip("PIL.Image")


def _read_labels(out):
    with open(os.path.join(out, "labels.csv"), newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def fec(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("fec") / "fec_dataset")
    make_fec.make_fec(out, triplets=400, test_fraction=0.2, seed=3, jobs=1, verbose=False)
    return out


def test_layout_and_columns(fec):
    header, rows = _read_labels(fec)
    assert header == ["face1", "face2", "face3", "votes1", "votes2", "votes3", "subset",
                      "triplet_type"]
    assert len(rows) == 400
    assert sorted(os.listdir(fec)) == ["README.txt", "faces.csv", "images_cropped", "labels.csv"]
    subsets = [r[6] for r in rows]
    assert set(subsets) == {"train", "test"} and subsets.count("test") == 80
    assert set(r[7] for r in rows) == set(make_fec.TRIPLET_TYPES)
    ids = {int(x) for r in rows for x in r[:3]}        # ids are ints
    files = os.listdir(os.path.join(fec, "images_cropped"))
    assert sorted(files) == sorted("%d.jpg" % i for i in ids)      # one image per used face
    for r in rows:
        assert len({r[0], r[1], r[2]}) == 3                          # three different faces


def test_readme_says_synthetic(fec):
    text = open(os.path.join(fec, "README.txt")).read()
    assert "SYNTHETIC" in text and "NOT Google's FEC" in text
    doc = " ".join(make_fec.__doc__.split())
    assert "SYNTHETIC" in doc and "NOT Google's FEC" in doc


def test_train_test_faces_disjoint(fec):
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(os.path.join(fec, "labels.csv"))       # course task 11.2, verbatim
    train_df = df[df.subset == 'train']
    test_df = df[df.subset == 'test']
    train_faces = set(train_df.face1.tolist()
                      + train_df.face2.tolist() + train_df.face3.tolist())
    test_faces = set(test_df.face1.tolist()
                     + test_df.face2.tolist() + test_df.face3.tolist())
    assert len(train_faces.intersection(test_faces)) == 0
    assert len(train_faces) > 0 and len(test_faces) > 0
    assert df.face1.dtype.kind == "i" and df.votes1.dtype.kind == "f"


def test_votes_are_sixths_summing_to_one(fec):
    _, rows = _read_labels(fec)
    v = np.array([[float(x) for x in r[3:6]] for r in rows])
    assert np.allclose(v.sum(1), 1.0, atol=1e-12)
    assert np.allclose(v * 6, np.round(v * 6), atol=1e-9)
    assert (v >= 0).all() and (v <= 1).all()


def test_images_are_112x112_rgb_uint8(fec):
    d = os.path.join(fec, "images_cropped")
    names = sorted(os.listdir(d))[:20]
    arrays = []
    for name in names:
        with Image.open(os.path.join(d, name)) as im:
            assert im.format == "JPEG" and im.mode == "RGB" and im.size == (112, 112)
            a = np.asarray(im)
        assert a.shape == (112, 112, 3) and a.dtype == np.uint8
        assert a.std() > 10                  # not blank
        arrays.append(a)
    assert np.abs(arrays[0].astype(int) - arrays[1]).mean() > 5      # different faces differ


def test_deterministic_and_independent_of_jobs(tmp_path):
    a, b, c = (str(tmp_path / n) for n in "abc")
    make_fec.make_fec(a, triplets=60, seed=7, jobs=1, verbose=False)
    make_fec.make_fec(b, triplets=60, seed=7, jobs=2, verbose=False)
    make_fec.make_fec(c, triplets=60, seed=8, jobs=1, verbose=False)
    for name in ("labels.csv", "faces.csv", "README.txt"):
        assert filecmp.cmp(os.path.join(a, name), os.path.join(b, name), shallow=False)
    ia, ib = (sorted(os.listdir(os.path.join(x, "images_cropped"))) for x in (a, b))
    assert ia == ib
    for name in ia:
        assert filecmp.cmp(os.path.join(a, "images_cropped", name),
                           os.path.join(b, "images_cropped", name), shallow=False)
    assert not filecmp.cmp(os.path.join(a, "labels.csv"), os.path.join(c, "labels.csv"),
                           shallow=False)


def test_pool_path_matches_serial(tmp_path):
    # >= 256 faces switches to the process pool; images must equal the serial ones
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    make_fec.make_fec(a, triplets=800, seed=1, jobs=2, verbose=False)
    names = sorted(os.listdir(os.path.join(a, "images_cropped")))
    assert len(names) >= 256
    make_fec.make_fec(b, triplets=800, seed=1, jobs=1, verbose=False)
    for name in names[::37]:
        assert filecmp.cmp(os.path.join(a, "images_cropped", name),
                           os.path.join(b, "images_cropped", name), shallow=False)


def test_learnable_expression_rule_recovers_majority(fec):
    """The face outside the pair with the closest hidden expressions gets the most votes on
    most triplets (the labels carry signal), while annotators do disagree sometimes."""
    _, rows = _read_labels(fec)
    expr = {}
    with open(os.path.join(fec, "faces.csv"), newline="") as f:
        r = csv.reader(f)
        header = next(r)
        assert header[:3] == ["id", "subset", "expression_class"]
        for row in r:
            expr[int(row[0])] = np.array([float(x) for x in row[3:]])
    e = [np.stack([expr[int(r[k])] for r in rows]) for k in range(3)]
    pred = make_fec.odd_one_out(make_fec.expression_distances(*e))
    v = np.array([[float(x) for x in r[3:6]] for r in rows])
    agree = (pred == v.argmax(1)).mean()
    assert agree > 0.8, agree
    assert (v.max(1) < 1).mean() > 0.1               # annotator noise is there
    # the images carry the expression: mouth region of surprised vs neutral faces differs
    classes = {}
    with open(os.path.join(fec, "faces.csv"), newline="") as f:
        for row in list(csv.reader(f))[1:]:
            classes.setdefault(row[2], []).append(int(row[0]))

    def open_mouth_area(ids):
        # share of dark-red (open mouth) pixels in the lower middle of the image
        vals = []
        for i in ids[:20]:
            a = np.asarray(Image.open(os.path.join(fec, "images_cropped", "%d.jpg" % i)),
                           np.float32)[65:100, 36:76]
            vals.append(((a[..., 1] < 60) & (a[..., 0] > a[..., 1] + 35)).mean())
        return np.mean(vals)

    assert open_mouth_area(classes["surprised"]) > 3 * open_mouth_area(classes["neutral"])


def test_command_line(tmp_path):
    out = tmp_path / "cli"
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "make_fec.py"), "--out", str(out),
                        "--triplets", "30", "--test-fraction", "0.2", "--seed", "2"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "SYNTHETIC" in r.stdout and "not Google's FEC" in r.stdout
    _, rows = _read_labels(str(out))
    assert len(rows) == 30 and sum(r[6] == "test" for r in rows) == 6
