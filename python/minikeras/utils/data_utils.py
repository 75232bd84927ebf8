"""keras.utils.get_file: download a file once into the Keras cache (tf.keras 2.5 semantics).

    path = keras.utils.get_file("mnist.npz",
                                origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                                file_hash="731c5ac6...")

Cache root: `cache_dir` if given, else $MINIKERAS_HOME, else $KERAS_HOME, else ~/.keras; when that
directory cannot be created or written, /tmp/.keras (as tf.keras). Files go to
<root>/<cache_subdir>/<fname>. A cached file is reused when no hash is given or its hash matches;
otherwise it is downloaded again. Downloads are streamed to a temporary file in the same directory,
checked (length, hash) and only then renamed into place, so an interrupted or corrupted download
never leaves a file under the final name.
"""
import os
import sys
import time

# hashlib, shutil, tarfile, tempfile, urllib and zipfile are imported by the functions that use
# them: `import minikeras` does not pay for ssl / http / email / archive modules.

__all__ = ["get_file", "validate_file"]

# seconds a single socket operation (connect, one read) may block before the download fails
DOWNLOAD_TIMEOUT = 60.0
_CHUNK = 1 << 16


class URLFetchError(Exception):
    """Raised when a download fails: tf.keras raises a plain `Exception('URL fetch failure on ...')`;
    this subclass keeps `except Exception` code working and lets callers recognise it."""

    def __init__(self, origin, detail, offline=False):
        self.origin = origin
        self.detail = detail
        self.offline = offline
        super().__init__("URL fetch failure on {}: {}".format(origin, detail))


def _resolve_hasher(algorithm, file_hash=""):
    import hashlib
    if algorithm == "sha256" or (algorithm == "auto" and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError("Unsupported hash_algorithm %r: expected 'auto', 'sha256' or 'md5'" % (algorithm,))


def _hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """Hex digest of a file ('sha256', 'md5' or an existing hashlib object)."""
    if isinstance(algorithm, str):
        hasher = _resolve_hasher(algorithm)
    else:
        hasher = algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """True when the file's sha256/md5 equals `file_hash` ('auto': sha256 for 64 hex characters)."""
    hasher = _resolve_hasher(algorithm, str(file_hash))
    return str(_hash_file(fpath, hasher, chunk_size)) == str(file_hash).lower()


def _cache_root(cache_dir):
    if cache_dir is None:
        cache_dir = (os.environ.get("MINIKERAS_HOME") or os.environ.get("KERAS_HOME")
                     or os.path.join(os.path.expanduser("~"), ".keras"))
    base = os.path.expanduser(os.fspath(cache_dir))
    try:
        os.makedirs(base, exist_ok=True)
        ok = os.access(base, os.W_OK)
    except OSError:
        ok = False
    if not ok:
        import tempfile
        base = os.path.join(tempfile.gettempdir() if os.name == "nt" else "/tmp", ".keras")
    return base


class _Progress:
    """A one-line progress bar for downloads (printed only when the total size is known)."""

    def __init__(self, total, width=30):
        self.total = total
        self.width = width
        self.start = time.time()
        self.last = 0.0
        self.enabled = bool(total)

    def update(self, done, final=False):
        if not self.enabled:
            return
        now = time.time()
        if not final and now - self.last < 0.1:
            return
        self.last = now
        frac = min(1.0, done / float(self.total))
        filled = int(self.width * frac)
        bar = "=" * max(0, filled - 1) + (">" if filled < self.width else "=") + "." * (self.width - filled)
        if filled == 0:
            bar = "." * self.width
        elapsed = now - self.start
        if final:
            tail = "%ds" % elapsed
        else:
            eta = elapsed / frac - elapsed if frac > 0 else 0.0
            tail = "ETA: %ds" % eta
        n = len(str(self.total))
        sys.stdout.write("\r%*d/%d [%s] - %s" % (n, done, self.total, bar, tail))
        if final:
            sys.stdout.write("\n")
        sys.stdout.flush()


def _download(origin, fpath, file_hash, hash_algorithm):
    """Stream `origin` into a temporary file next to `fpath`, verify, then rename into place."""
    import tempfile
    import urllib.error
    import urllib.request
    datadir = os.path.dirname(fpath) or "."
    fd, tmp = tempfile.mkstemp(dir=datadir, prefix="." + os.path.basename(fpath) + ".", suffix=".part")
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                req = urllib.request.Request(origin, headers={"User-Agent": "minikeras"})
                with urllib.request.urlopen(req, timeout=DOWNLOAD_TIMEOUT) as resp:
                    length = resp.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    progress = _Progress(total)
                    done = 0
                    while True:
                        chunk = resp.read(_CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        done += len(chunk)
                        progress.update(done)
                    if total is not None and done < total:
                        raise URLFetchError(origin, "retrieval incomplete: got only %d out of %d bytes"
                                            % (done, total))
                    progress.update(done, final=True)
        except urllib.error.HTTPError as e:
            raise URLFetchError(origin, "{} -- {}".format(e.code, e.msg)) from None
        except urllib.error.URLError as e:
            errno = getattr(e, "errno", None)
            raise URLFetchError(origin, "{}{} -- the machine may be offline or the host unreachable"
                                .format("" if errno is None else "%s -- " % errno, e.reason),
                                offline=True) from None
        except URLFetchError:
            raise
        except (OSError, ValueError) as e:  # reset connections, timeouts, malformed URLs
            raise URLFetchError(origin, "{} -- {} -- the download was interrupted or the host is unreachable"
                                .format(type(e).__name__, e), offline=True) from None
        if file_hash is not None:
            hasher = _resolve_hasher(hash_algorithm, str(file_hash))
            actual = _hash_file(tmp, hasher)
            if actual != str(file_hash).lower():
                raise ValueError(
                    "Incomplete or corrupted file detected: the {} file hash of the data downloaded "
                    "from {} is {}, it does not match the expected value {}; the file was removed."
                    .format(hasher.name, origin, actual, file_hash))
        os.replace(tmp, fpath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _is_within(directory, target):
    directory = os.path.realpath(directory)
    target = os.path.realpath(target)
    return os.path.commonpath([directory, target]) == directory


def _extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar(.gz/.bz2/.xz) or zip archive into `path`; True when something was extracted.

    Members that would land outside `path` (absolute names, '..') are refused with a ValueError."""
    import shutil
    import tarfile
    import zipfile
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path = os.fspath(file_path)
    path = os.fspath(path)
    for fmt in archive_format:
        if fmt == "tar":
            open_fn, is_match_fn = tarfile.open, tarfile.is_tarfile
        elif fmt == "zip":
            open_fn, is_match_fn = zipfile.ZipFile, zipfile.is_zipfile
        else:
            raise ValueError("Unknown archive_format %r: expected 'auto', 'tar', 'zip' or a list of them" % (fmt,))
        if not is_match_fn(file_path):
            continue
        with open_fn(file_path) as archive:
            names = archive.getnames() if fmt == "tar" else archive.namelist()
            for name in names:
                if not _is_within(path, os.path.join(path, name)):
                    raise ValueError("Refusing to extract %r from %s: it would be written outside %s"
                                     % (name, file_path, path))
            try:
                if fmt == "tar" and hasattr(tarfile, "data_filter"):
                    archive.extractall(path, filter="data")
                else:
                    archive.extractall(path)
            except (tarfile.TarError, RuntimeError, KeyboardInterrupt, OSError, zipfile.BadZipFile):
                for name in names:
                    target = os.path.join(path, name.split("/")[0])
                    if os.path.isfile(target) or os.path.islink(target):
                        os.remove(target)
                    elif os.path.isdir(target):
                        shutil.rmtree(target, ignore_errors=True)
                raise
        return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None):
    """Downloads a file from a URL if it is not already in the cache; returns its local path.

    Arguments (as tf.keras.utils.get_file):
      fname: file name in the cache (default: the basename of `origin`'s path); an absolute path
        saves the file there.
      origin: the URL (http, https, ftp or file).
      untar: deprecated; the file is `fname + '.tar.gz'`, extracted into the cache directory, and
        the path of the extracted `fname` is returned.
      md5_hash: deprecated, same as `file_hash=md5_hash, hash_algorithm='md5'`.
      file_hash: expected sha256 or md5 hex digest; a cached file whose hash differs is downloaded
        again, and a download whose hash differs is deleted with a ValueError.
      cache_subdir: subdirectory of the cache root (default 'datasets').
      hash_algorithm: 'auto' (sha256 for a 64-character hash, else md5), 'sha256' or 'md5'.
      extract: extract the archive (tar.gz / zip) next to it; the archive's path is returned.
      archive_format: 'auto', 'tar', 'zip', a list of these, or None.
      cache_dir: cache root (default $MINIKERAS_HOME, $KERAS_HOME or ~/.keras; /tmp/.keras when
        that is not writable).

    A failed download raises `Exception('URL fetch failure on {origin}: ...')` (an instance of
    `minikeras.utils.data_utils.URLFetchError`) and leaves nothing in the cache.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    origin = str(origin)
    if md5_hash is not None and file_hash is None:
        file_hash = md5_hash
        hash_algorithm = "md5"
    if fname is None:
        import urllib.parse
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if untar:
            for ext in (".tar.gz", ".tgz"):
                if fname.endswith(ext):
                    fname = fname[: -len(ext)]
                    break
        if not fname:
            raise ValueError("Can't parse the file name from the origin %r: please set the `fname` "
                             "argument." % (origin,))
    fname = os.fspath(fname)

    datadir = os.path.join(_cache_root(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    if untar:
        untar_fpath = os.path.join(datadir, fname)
        fpath = untar_fpath + ".tar.gz"
    else:
        fpath = os.path.join(datadir, fname)
    parent = os.path.dirname(fpath)
    if parent:
        os.makedirs(parent, exist_ok=True)

    download = False
    if os.path.exists(fpath):
        if file_hash is not None and not validate_file(fpath, file_hash, algorithm=hash_algorithm):
            algo = _resolve_hasher(hash_algorithm, str(file_hash)).name
            print("A local file was found, but it seems to be incomplete or outdated because the "
                  + algo + " file hash does not match the original value of " + str(file_hash)
                  + " so we will re-download the data.")
            download = True
    else:
        download = True

    if download:
        print("Downloading data from", origin)
        _download(origin, fpath, file_hash, hash_algorithm)

    if untar:
        if not os.path.exists(untar_fpath):
            _extract_archive(fpath, datadir, archive_format="tar")
        return untar_fpath

    if extract:
        _extract_archive(fpath, datadir, archive_format)

    return fpath
