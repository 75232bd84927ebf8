"""`import minikeras` stays light: optional heavy modules (h5py, http/urllib, archives,
matplotlib, pandas, sklearn, tensorboard, mlxtend) load only when a function needs them."""
import os
import subprocess
import sys

PYTHON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "python")

HEAVY = ["h5py", "urllib.request", "http.client", "ssl", "email", "socket", "tarfile",
         "zipfile", "tempfile", "shutil", "hashlib", "matplotlib", "pandas", "sklearn",
         "tensorboard", "mlxtend", "scipy", "tensorflow"]


def _imported_after(code):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    script = code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return set(out)


def test_import_minikeras_does_not_load_heavy_modules():
    mods = _imported_after("import minikeras\nfrom minikeras import tf, Sequential, layers")
    assert "minikeras._core" in mods
    loaded = [m for m in HEAVY if m in mods]
    assert loaded == [], f"`import minikeras` loaded {loaded}"


def test_h5py_is_loaded_on_first_use(tmp_path):
    from minikeras.saving import hdf5_format, keras_format
    import h5py
    assert hdf5_format.h5py is h5py
    assert keras_format.h5py is h5py
    hdf5_format._require_h5py()
    keras_format._require_h5py()


def test_save_and_load_in_a_fresh_process_loads_h5py_then(tmp_path):
    path = str(tmp_path / "m.h5")
    code = f"""
import sys, numpy as np
import minikeras as keras
assert 'h5py' not in sys.modules
m = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
m.compile(loss='mse', optimizer='adam')
m.save({path!r})
m2 = keras.models.load_model({path!r})
assert 'h5py' in sys.modules
np.testing.assert_array_equal(m.get_weights()[0], m2.get_weights()[0])
"""
    _imported_after(code)
