"""tf.io: file reading/writing, tf.io.gfile, and the image codecs (engine/api/image_codec.py).

None of these can be recorded into a C graph: each calls `not_traceable` first, so a
tf.function / Dataset.map function using them runs eagerly (file reads and decoding release
the GIL, so map's worker threads still run them in parallel)."""
import glob as _glob
import os as _os

import numpy as np

from .. import _core
from ..engine.api.image_codec import (decode_bmp, decode_gif, decode_image,  # noqa: F401
                                      decode_jpeg, decode_png, encode_jpeg, encode_png,
                                      extract_jpeg_shape, is_jpeg)
from ..engine.function import not_traceable
from ..engine.strings import StringTensor, scalar_bytes
from . import errors as _errors

__all__ = ["read_file", "write_file", "gfile", "decode_jpeg", "decode_png", "decode_image",
           "decode_gif", "decode_bmp", "encode_jpeg", "encode_png", "is_jpeg",
           "extract_jpeg_shape", "matching_files"]


def _path(filename, op):
    return _os.fsdecode(scalar_bytes(filename, op))


def _wrap(b):
    a = np.empty((), dtype=object)
    a[()] = b
    return StringTensor(a)


def read_file(filename, name=None):
    """tf.io.read_file: the whole file as a scalar string tensor."""
    not_traceable("tf.io.read_file")
    path = _path(filename, "ReadFile")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise _errors.NotFoundError(f"{path}; No such file or directory [Op:ReadFile]") from None
    except IsADirectoryError:
        raise _core.InvalidArgumentError(f"{path}; Is a directory [Op:ReadFile]") from None
    except PermissionError:
        raise _errors.OpError(f"{path}; Permission denied [Op:ReadFile]") from None
    return _wrap(data)


def write_file(filename, contents, name=None):
    """tf.io.write_file: write a scalar string to a file (its directory is created)."""
    not_traceable("tf.io.write_file")
    path = _path(filename, "WriteFile")
    data = scalar_bytes(contents, "WriteFile")
    d = _os.path.dirname(path)
    if d:
        _os.makedirs(d, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def matching_files(pattern, name=None):
    """tf.io.matching_files: sorted file names matching a glob pattern (1-D string tensor)."""
    not_traceable("tf.io.matching_files")
    out = np.empty(0, dtype=object)
    names = sorted(_glob.glob(_path(pattern, "MatchingFiles")))
    out = np.empty(len(names), dtype=object)
    out[:] = [_os.fsencode(n) for n in names]
    return StringTensor(out)


class _GFileModule:
    """tf.io.gfile on the local file system."""

    @staticmethod
    def _p(path):
        if isinstance(path, StringTensor):
            return _os.fsdecode(scalar_bytes(path, "gfile"))
        return _os.fsdecode(path) if isinstance(path, bytes) else _os.fspath(path)

    def exists(self, path):
        return _os.path.exists(self._p(path))

    def isdir(self, path):
        return _os.path.isdir(self._p(path))

    def glob(self, pattern):
        return sorted(_glob.glob(self._p(pattern)))

    def listdir(self, path):
        p = self._p(path)
        if not _os.path.isdir(p):
            raise _errors.NotFoundError(f"Could not find directory {p}")
        return _os.listdir(p)

    def makedirs(self, path):
        _os.makedirs(self._p(path), exist_ok=True)

    def mkdir(self, path):
        _os.mkdir(self._p(path))

    def remove(self, path):
        p = self._p(path)
        if not _os.path.exists(p):
            raise _errors.NotFoundError(f"{p}; No such file or directory")
        _os.remove(p)

    def rmtree(self, path):
        p = self._p(path)
        if not _os.path.exists(p):
            raise _errors.NotFoundError(f"{p}; No such file or directory")
        import shutil
        shutil.rmtree(p)

    def rename(self, src, dst, overwrite=False):
        s, d = self._p(src), self._p(dst)
        if _os.path.exists(d) and not overwrite:
            raise FileExistsError(f"{d}; File already exists")
        _os.replace(s, d)

    def copy(self, src, dst, overwrite=False):
        s, d = self._p(src), self._p(dst)
        if _os.path.exists(d) and not overwrite:
            raise FileExistsError(f"{d}; File already exists")
        import shutil
        shutil.copyfile(s, d)

    def stat(self, path):
        return _os.stat(self._p(path))

    def walk(self, top, topdown=True, onerror=None):
        return _os.walk(self._p(top), topdown=topdown, onerror=onerror)

    def join(self, path, *paths):
        return _os.path.join(path, *paths)

    def GFile(self, name, mode="r"):  # noqa: N802
        return GFile(self._p(name), mode)

    Open = GFile


class GFile:
    """tf.io.gfile.GFile: a file object (read/write/readline/readlines/size/seek/tell/close,
    iteration, context manager)."""

    def __init__(self, name, mode="r"):
        self.name = _GFileModule._p(name)
        self.mode = mode
        try:
            self._f = open(self.name, mode)
        except FileNotFoundError:
            raise _errors.NotFoundError(f"{self.name}; No such file or directory") from None

    def read(self, n=-1):
        return self._f.read(n)

    def readline(self):
        return self._f.readline()

    def readlines(self):
        return self._f.readlines()

    def write(self, data):
        return self._f.write(data)

    def size(self):
        return _os.path.getsize(self.name)

    def seek(self, offset=None, whence=0, position=None):
        return self._f.seek(position if offset is None else offset, whence)

    def tell(self):
        return self._f.tell()

    def flush(self):
        self._f.flush()

    def close(self):
        self._f.close()

    def seekable(self):
        return True

    def __iter__(self):
        return iter(self._f)

    def __next__(self):
        return next(self._f)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


gfile = _GFileModule()
