"""keras.preprocessing.image (tf.keras 2.5 / keras_preprocessing 1.1.2): real-time image
data augmentation on numpy arrays, decoded with Pillow, transformed with
scipy.ndimage.affine_transform.

- ImageDataGenerator(...): get_random_transform, apply_transform, random_transform,
  standardize, fit, flow, flow_from_directory, flow_from_dataframe;
- Iterator / DirectoryIterator / NumpyArrayIterator / DataFrameIterator: keras Sequences
  (len, [idx], on_epoch_end) that are also never-ending iterators (next());
- load_img, img_to_array, array_to_img, save_img;
- apply_affine_transform, transform_matrix_offset_center, flip_axis, random_rotation,
  random_shift, random_shear, random_zoom, apply_channel_shift, random_channel_shift,
  apply_brightness_shift, random_brightness.

Random draws use numpy's global random state (np.random), as in Keras: a seed given to an
iterator re-seeds it with seed + total_batches_seen before every batch.

A random rotation is a scipy.ndimage.affine_transform of every channel with the matrix
built by apply_affine_transform (rotation, then shift, shear and zoom, centred on the image
by transform_matrix_offset_center); `inspect.getsource` shows it."""
import os
import threading
import warnings

import numpy as np

from ..trainers.data_adapters import Sequence
from ..utils.image_utils import (load_img, img_to_array, array_to_img, save_img,  # noqa: F401
                                 _pil)

__all__ = ["ImageDataGenerator", "Iterator", "DirectoryIterator", "NumpyArrayIterator",
           "DataFrameIterator", "load_img", "img_to_array", "array_to_img", "save_img",
           "apply_affine_transform", "transform_matrix_offset_center", "flip_axis",
           "random_rotation", "random_shift", "random_shear", "random_zoom",
           "apply_channel_shift", "random_channel_shift", "apply_brightness_shift",
           "random_brightness", "list_pictures"]

# flow_from_directory / flow_from_dataframe decode JPEGs with Pillow's draft mode (the
# decoder downscales by a power of two, never below target_size, before the resize):
# several times faster on large photos; pixels differ slightly from tf.keras's full decode.
# Set to False for tf.keras's exact pixels.
JPEG_DRAFT = True


# Images of a batch are decoded and transformed on a thread pool (Pillow's decoder and
# scipy.ndimage release the GIL).  The random parameters are still drawn in Keras's order,
# one image after the other, so a seed gives the same batches as with one thread.  None:
# os.cpu_count() threads (at most 8); 1: no threads.  A preprocessing_function (which may
# draw random numbers or not be thread-safe) turns threading off.
NUM_THREADS = None

_EXECUTOR = None
_EXECUTOR_LOCK = threading.Lock()


def _floatx():
    from .. import backend
    return backend.floatx()


def _num_threads():
    if NUM_THREADS is not None:
        return max(1, int(NUM_THREADS))
    return max(1, min(8, os.cpu_count() or 1))


def _map(fn, n, threaded=True):
    """[fn(i) for i in range(n)], on the shared thread pool when that helps."""
    workers = _num_threads() if threaded else 1
    if workers <= 1 or n <= 1:
        return [fn(i) for i in range(n)]
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None or _EXECUTOR._max_workers != workers:
            from concurrent.futures import ThreadPoolExecutor
            if _EXECUTOR is not None:
                _EXECUTOR.shutdown(wait=False)
            from .. import _core      # input work stays on the CPU (as tf.data's)
            _EXECUTOR = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="minikeras-image",
                                           initializer=_core.set_device_scope, initargs=(_core.CPU,))
        ex = _EXECUTOR
    return list(ex.map(fn, range(n)))


def _threadable(image_data_generator):
    return image_data_generator is None or not image_data_generator.preprocessing_function


def list_pictures(directory, ext=("jpg", "jpeg", "bmp", "png", "ppm", "tif", "tiff")):
    """Lists all pictures in a directory, including all subdirectories."""
    ext = tuple("." + e for e in ext)
    return [os.path.join(root, f) for root, _, files in os.walk(directory)
            for f in files if f.lower().endswith(ext)]


# ---- affine transformations -------------------------------------------------------------

def flip_axis(x, axis):
    x = np.asarray(x).swapaxes(axis, 0)
    x = x[::-1, ...]
    x = x.swapaxes(0, axis)
    return x


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                    cval=0., interpolation_order=1):
    """Performs a random rotation of a Numpy image tensor (rg: rotation range, degrees)."""
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0., interpolation_order=1):
    """Performs a random spatial shift (wrg, hrg: fractions of the width and height)."""
    h, w = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0., interpolation_order=1):
    """Performs a random spatial shear (intensity: shear angle range in degrees)."""
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                cval=0., interpolation_order=1):
    """Performs a random spatial zoom (zoom_range: (low, high) for width and height)."""
    if len(zoom_range) != 2:
        raise ValueError("`zoom_range` should be a tuple or list of two floats. "
                         f"Received: {zoom_range}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Adds `intensity` to every channel, clipped to the image's min..max."""
    x = np.rollaxis(x, channel_axis, 0)
    min_x, max_x = np.min(x), np.max(x)
    channel_images = [np.clip(x_channel + intensity, min_x, max_x) for x_channel in x]
    x = np.stack(channel_images, axis=0)
    x = np.rollaxis(x, 0, channel_axis + 1)
    return x


def random_channel_shift(x, intensity_range, channel_axis=0):
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def apply_brightness_shift(x, brightness, scale=True):
    """Brightness shift with PIL.ImageEnhance.Brightness (x: channels-last image).  The
    image goes through array_to_img, so with scale=True its min..max becomes 0..255."""
    ImageEnhance = _pil()[1]
    x_min, x_max = np.min(x), np.max(x)
    local_scale = (x_min < 0) or (x_max > 255)
    x = array_to_img(x, scale=local_scale or scale)
    x = ImageEnhance.Brightness(x).enhance(brightness)
    x = img_to_array(x)
    if not scale and local_scale:
        x = x / 255 * (x_max - x_min) + x_min
    return x


def random_brightness(x, brightness_range, scale=True):
    if len(brightness_range) != 2:
        raise ValueError("`brightness_range should be tuple or list of two floats. "
                         f"Received: {brightness_range}")
    u = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u, scale)


def transform_matrix_offset_center(matrix, x, y):
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    transform_matrix = np.dot(np.dot(offset_matrix, matrix), reset_matrix)
    return transform_matrix


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1,
                           col_axis=2, channel_axis=0, fill_mode="nearest", cval=0., order=1):
    """Applies an affine transformation specified by the parameters given.

    x: 3D numpy array, a 2D image with one or more channels. theta: rotation angle in
    degrees. tx, ty: shifts along the row (height) and column (width) axes, in pixels.
    shear: shear angle in degrees. zx, zy: zoom along rows and columns. fill_mode: one of
    'constant', 'nearest', 'reflect', 'wrap'; cval: the fill value for 'constant'.
    order: spline interpolation order.

    The matrix maps output coordinates (row, col) to input coordinates:
    rotation . shift . shear . zoom, centred by transform_matrix_offset_center; every
    channel goes through scipy.ndimage.affine_transform."""
    transform_matrix = None
    if theta != 0:
        theta = np.deg2rad(theta)
        rotation_matrix = np.array([[np.cos(theta), -np.sin(theta), 0],
                                    [np.sin(theta), np.cos(theta), 0],
                                    [0, 0, 1]])
        transform_matrix = rotation_matrix

    if tx != 0 or ty != 0:
        shift_matrix = np.array([[1, 0, tx],
                                 [0, 1, ty],
                                 [0, 0, 1]])
        transform_matrix = shift_matrix if transform_matrix is None else \
            np.dot(transform_matrix, shift_matrix)

    if shear != 0:
        shear = np.deg2rad(shear)
        shear_matrix = np.array([[1, -np.sin(shear), 0],
                                 [0, np.cos(shear), 0],
                                 [0, 0, 1]])
        transform_matrix = shear_matrix if transform_matrix is None else \
            np.dot(transform_matrix, shear_matrix)

    if zx != 1 or zy != 1:
        zoom_matrix = np.array([[zx, 0, 0],
                                [0, zy, 0],
                                [0, 0, 1]])
        transform_matrix = zoom_matrix if transform_matrix is None else \
            np.dot(transform_matrix, zoom_matrix)

    if transform_matrix is not None:
        from scipy import ndimage
        h, w = x.shape[row_axis], x.shape[col_axis]
        transform_matrix = transform_matrix_offset_center(transform_matrix, h, w)
        x = np.rollaxis(x, channel_axis, 0)
        final_affine_matrix = transform_matrix[:2, :2]
        final_offset = transform_matrix[:2, 2]

        channel_images = [ndimage.affine_transform(
            x_channel,
            final_affine_matrix,
            final_offset,
            order=order,
            mode=fill_mode,
            cval=cval) for x_channel in x]
        x = np.stack(channel_images, axis=0)
        x = np.rollaxis(x, 0, channel_axis + 1)
    return x


# ---- iterators --------------------------------------------------------------------------

class Iterator(Sequence):
    """Base class for image data iterators: a keras.utils.Sequence (len(it) batches,
    it[idx], on_epoch_end reshuffles) and a never-ending iterator (next(it)).

    n: number of samples; batch_size; shuffle: reshuffle at the start of every pass;
    seed: re-seeds np.random with seed + total_batches_seen before every batch."""
    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n, batch_size, shuffle, seed):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError("Asked to retrieve element {idx}, but the Sequence has length "
                             "{length}".format(idx=idx, length=len(self)))
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size  # round up

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        # Ensure self.batch_index is 0.
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            if self.n == 0:
                # Avoiding modulo by zero error
                current_index = 0
            else:
                current_index = (self.batch_index * self.batch_size) % self.n
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current_index:current_index + self.batch_size]

    def __iter__(self):
        # Needed if we want to do something like: for x, y in data_gen.flow(...):
        return self

    def __next__(self, *args, **kwargs):
        return self.next(*args, **kwargs)

    def next(self):
        """Returns the next batch."""
        with self.lock:
            index_array = next(self.index_generator)
        # The transformation of images is not under thread lock so it can be done in parallel
        return self._get_batches_of_transformed_samples(index_array)

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError


def _save_batch(iterator, batch_x, index_array):
    for i, j in enumerate(index_array):
        img = array_to_img(batch_x[i], iterator.data_format, scale=True)
        fname = "{prefix}_{index}_{hash}.{format}".format(
            prefix=iterator.save_prefix, index=j, hash=np.random.randint(int(1e7)),
            format=iterator.save_format)
        img.save(os.path.join(iterator.save_to_dir, fname))


class BatchFromFilesMixin:
    """Loads, augments and batches images from files (DirectoryIterator,
    DataFrameIterator)."""

    def set_processing_attrs(self, image_data_generator, target_size, color_mode, data_format,
                             save_to_dir, save_prefix, save_format, subset, interpolation):
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        if color_mode not in {"rgb", "rgba", "grayscale"}:
            raise ValueError(f"Invalid color mode: {color_mode}; expected \"rgb\", \"rgba\", "
                             "or \"grayscale\".")
        self.color_mode = color_mode
        self.data_format = data_format
        channels = {"rgba": 4, "rgb": 3, "grayscale": 1}[color_mode]
        if self.data_format == "channels_last":
            self.image_shape = self.target_size + (channels,)
        else:
            self.image_shape = (channels,) + self.target_size
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        if subset is not None:
            validation_split = self.image_data_generator._validation_split
            if subset == "validation":
                split = (0, validation_split)
            elif subset == "training":
                split = (validation_split, 1)
            else:
                raise ValueError(f"Invalid subset name: {subset};expected \"training\" or "
                                 "\"validation\"")
        else:
            split = None
        self.split = split
        self.subset = subset

    def _load(self, path):
        img = load_img(path, color_mode=self.color_mode, target_size=self.target_size,
                       interpolation=self.interpolation, draft=JPEG_DRAFT)
        x = img_to_array(img, data_format=self.data_format)
        # Pillow images should be closed after `load_img`, but not PIL images.
        if hasattr(img, "close"):
            img.close()
        return x

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        # build batch of image data
        # self.filepaths is dynamic, is better to call it once outside the loop
        filepaths = self.filepaths
        idg = self.image_data_generator
        if _threadable(idg) and len(index_array) > 1 and _num_threads() > 1:
            # the random draws in Keras's order, then decode + transform in parallel
            params = [idg.get_random_transform(self.image_shape) for _ in index_array] \
                if idg else None

            def one(i):
                x = self._load(filepaths[index_array[i]])
                if idg:
                    x = idg.apply_transform(x, params[i])
                    x = idg.standardize(x)
                batch_x[i] = x
            _map(one, len(index_array))
        else:
            for i, j in enumerate(index_array):
                x = self._load(filepaths[j])
                if idg:
                    params = idg.get_random_transform(x.shape)
                    x = idg.apply_transform(x, params)
                    x = idg.standardize(x)
                batch_x[i] = x
        # optionally save augmented images to disk for debugging purposes
        if self.save_to_dir:
            _save_batch(self, batch_x, index_array)
        # build batch of labels
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode in {"binary", "sparse"}:
            batch_y = np.empty(len(batch_x), dtype=self.dtype)
            for i, n_observation in enumerate(index_array):
                batch_y[i] = self.classes[n_observation]
        elif self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), len(self.class_indices)), dtype=self.dtype)
            for i, n_observation in enumerate(index_array):
                batch_y[i, self.classes[n_observation]] = 1.
        elif self.class_mode == "multi_output":
            batch_y = [output[index_array] for output in self.labels]
        elif self.class_mode == "raw":
            batch_y = self.labels[index_array]
        else:
            return batch_x
        if self.sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self.sample_weight[index_array]

    @property
    def filepaths(self):
        raise NotImplementedError

    @property
    def labels(self):
        raise NotImplementedError

    @property
    def sample_weight(self):
        raise NotImplementedError


def _iter_valid_files(directory, white_list_formats, follow_links):
    def _recursive_list(subpath):
        return sorted(os.walk(subpath, followlinks=follow_links), key=lambda x: x[0])

    for root, _, files in _recursive_list(directory):
        for fname in sorted(files):
            if fname.lower().endswith(".tiff"):
                warnings.warn('Using ".tiff" files with multiple bands will cause distortion. '
                              "Please verify your output.")
            if fname.lower().endswith(white_list_formats):
                yield root, fname


def _list_valid_filenames_in_directory(directory, white_list_formats, split, class_indices,
                                       follow_links):
    """(class indices, paths relative to the parent of `directory`) of the valid files of
    one class directory; split = (start, stop) fractions of the sorted files."""
    dirname = os.path.basename(directory)
    if split:
        all_files = list(_iter_valid_files(directory, white_list_formats, follow_links))
        num_files = len(all_files)
        start, stop = int(split[0] * num_files), int(split[1] * num_files)
        valid_files = all_files[start:stop]
    else:
        valid_files = _iter_valid_files(directory, white_list_formats, follow_links)
    classes = []
    filenames = []
    for root, fname in valid_files:
        classes.append(class_indices[dirname])
        absolute_path = os.path.join(root, fname)
        relative_path = os.path.join(dirname, os.path.relpath(absolute_path, directory))
        filenames.append(relative_path)
    return classes, filenames


class DirectoryIterator(BatchFromFilesMixin, Iterator):
    """Iterator over images in a directory with one subdirectory per class
    (ImageDataGenerator.flow_from_directory).

    Attributes: class_indices ({class name: index}, sorted subdirectory names), classes
    (int32 class index of every sample), filenames (paths relative to `directory`),
    filepaths, samples / n, num_classes, batch_size, batch_index, image_shape."""
    allowed_class_modes = {"categorical", "binary", "sparse", "input", None}

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode="rgb", classes=None, class_mode="categorical", batch_size=32,
                 shuffle=True, seed=None, data_format="channels_last", save_to_dir=None,
                 save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", dtype=None):
        if dtype is None:
            dtype = _floatx()
        if image_data_generator is None:
            image_data_generator = ImageDataGenerator(data_format=data_format, dtype=dtype)
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format,
                                  save_to_dir, save_prefix, save_format, subset, interpolation)
        self.directory = os.fspath(directory)
        self.classes = classes
        if class_mode not in self.allowed_class_modes:
            raise ValueError("Invalid class_mode: {}; expected one of: {}".format(
                class_mode, self.allowed_class_modes))
        self.class_mode = class_mode
        self.dtype = dtype
        # First, count the number of samples and classes.
        self.samples = 0
        if not classes:
            classes = []
            for subdir in sorted(os.listdir(self.directory)):
                if os.path.isdir(os.path.join(self.directory, subdir)):
                    classes.append(subdir)
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        classes_list = []
        self.filenames = []
        for subdir in classes:
            cls, fnames = _list_valid_filenames_in_directory(
                os.path.join(self.directory, subdir), self.white_list_formats, self.split,
                self.class_indices, follow_links)
            classes_list.append(cls)
            self.filenames += fnames
        self.samples = len(self.filenames)
        self.classes = np.zeros((self.samples,), dtype="int32")
        i = 0
        for cls in classes_list:
            self.classes[i:i + len(cls)] = cls
            i += len(cls)
        print("Found %d images belonging to %d classes." % (self.samples, self.num_classes))
        self._filepaths = [os.path.join(self.directory, fname) for fname in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self):
        return self._filepaths

    @property
    def labels(self):
        return self.classes

    @property  # mixin needs this property to work
    def sample_weight(self):
        # no sample weights will be returned
        return None


class NumpyArrayIterator(Iterator):
    """Iterator yielding data from a Numpy array (ImageDataGenerator.flow).

    x: rank-4 array of images, or a tuple/list (images, misc array or list of arrays) whose
    extra arrays are batched alongside without augmentation; y: labels or None."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format="channels_last", save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, dtype=None):
        if dtype is None:
            dtype = _floatx()
        self.dtype = dtype
        if isinstance(x, (tuple, list)):
            if not isinstance(x[1], list):
                x_misc = [np.asarray(x[1])]
            else:
                x_misc = [np.asarray(xx) for xx in x[1]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError("All of the arrays in `x` should have the same length. "
                                     f"Found a pair with: len(x[0]) = {len(x)}, "
                                     f"len(x[?]) = {len(xx)}")
        else:
            x_misc = []
        x = np.asarray(x)
        if y is not None and len(x) != len(y):
            raise ValueError("`x` (images tensor) and `y` (labels) should have the same length. "
                             f"Found: x.shape = {np.asarray(x).shape}, "
                             f"y.shape = {np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError("`x` (images tensor) and `sample_weight` should have the same "
                             f"length. Found: x.shape = {np.asarray(x).shape}, "
                             f"sample_weight.shape = {np.asarray(sample_weight).shape}")
        if subset is not None:
            if subset not in {"training", "validation"}:
                raise ValueError(f"Invalid subset name: {subset}; expected \"training\" or "
                                 "\"validation\".")
            split_idx = int(len(x) * image_data_generator._validation_split)
            if y is not None and not np.array_equal(np.unique(np.asarray(y)[:split_idx]),
                                                    np.unique(y)):
                raise ValueError("Training and validation subsets have different number of "
                                 "classes after the split. If your numpy arrays are sorted by "
                                 "the label, you might want to shuffle them.")
            if subset == "validation":
                x = x[:split_idx]
                x_misc = [np.asarray(xx[:split_idx]) for xx in x_misc]
                if y is not None:
                    y = np.asarray(y)[:split_idx]
                if sample_weight is not None:
                    sample_weight = np.asarray(sample_weight)[:split_idx]
            else:
                x = x[split_idx:]
                x_misc = [np.asarray(xx[split_idx:]) for xx in x_misc]
                if y is not None:
                    y = np.asarray(y)[split_idx:]
                if sample_weight is not None:
                    sample_weight = np.asarray(sample_weight)[split_idx:]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError("Input data in `NumpyArrayIterator` should have rank 4. You passed "
                             f"an array with shape {self.x.shape}")
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in {1, 3, 4}:
            warnings.warn('NumpyArrayIterator is set to use the data format convention "'
                          + data_format + '" (channels on axis ' + str(channels_axis)
                          + "), i.e. expected either 1, 3, or 4 channels on axis "
                          + str(channels_axis) + ". However, it was passed an array with shape "
                          + str(self.x.shape) + " (" + str(self.x.shape[channels_axis])
                          + " channels).")
        self.y = np.asarray(y) if y is not None else None
        self.sample_weight = np.asarray(sample_weight) if sample_weight is not None else None
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros(tuple([len(index_array)] + list(self.x.shape)[1:]),
                           dtype=self.dtype)
        idg = self.image_data_generator
        if _threadable(idg) and len(index_array) > 1 and _num_threads() > 1 and \
                self.x[0].size >= 4096:
            params = [idg.get_random_transform(self.x.shape[1:]) for _ in index_array]

            def one(i):
                x = self.x[index_array[i]]
                x = idg.apply_transform(x.astype(self.dtype), params[i])
                batch_x[i] = idg.standardize(x)
            _map(one, len(index_array))
        else:
            for i, j in enumerate(index_array):
                x = self.x[j]
                params = idg.get_random_transform(x.shape)
                x = idg.apply_transform(x.astype(self.dtype), params)
                x = idg.standardize(x)
                batch_x[i] = x
        if self.save_to_dir:
            _save_batch(self, batch_x, index_array)
        batch_x_miscs = [xx[index_array] for xx in self.x_misc]
        output = (batch_x if batch_x_miscs == [] else [batch_x] + batch_x_miscs,)
        if self.y is None:
            return output[0]
        output += (self.y[index_array],)
        if self.sample_weight is not None:
            output += (self.sample_weight[index_array],)
        return output


class DataFrameIterator(BatchFromFilesMixin, Iterator):
    """Iterator over images listed in a pandas DataFrame (ImageDataGenerator
    .flow_from_dataframe): x_col holds file names (relative to `directory`, or absolute
    when directory is None), y_col the labels (class names for 'categorical'/'binary'/
    'sparse', anything for 'raw', several columns for 'multi_output')."""
    allowed_class_modes = {"binary", "categorical", "input", "multi_output", "raw", "sparse",
                           None}

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename",
                 y_col="class", weight_col=None, target_size=(256, 256), color_mode="rgb",
                 classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                 seed=None, data_format="channels_last", save_to_dir=None, save_prefix="",
                 save_format="png", subset=None, interpolation="nearest", dtype=None,
                 validate_filenames=True):
        if dtype is None:
            dtype = _floatx()
        if image_data_generator is None:
            image_data_generator = ImageDataGenerator(data_format=data_format, dtype=dtype)
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format,
                                  save_to_dir, save_prefix, save_format, subset, interpolation)
        df = dataframe.copy()
        self.directory = os.fspath(directory) if directory is not None else ""
        self.class_mode = class_mode
        self.dtype = dtype
        self._check_params(df, x_col, y_col, weight_col, classes)
        if validate_filenames:  # check which image files are valid and keep them
            df = self._filter_valid_filepaths(df, x_col)
        if class_mode not in ["input", "multi_output", "raw", None]:
            df, classes = self._filter_classes(df, y_col, classes)
            num_classes = len(classes)
            # build an index of all the unique classes
            self.class_indices = dict(zip(classes, range(len(classes))))
        # retrieve only training or validation set
        if self.split:
            num_files = len(df)
            start = int(self.split[0] * num_files)
            stop = int(self.split[1] * num_files)
            df = df.iloc[start:stop, :]
        # get labels for each observation
        if class_mode not in ["input", "multi_output", "raw", None]:
            self.classes = self.get_classes(df, y_col)
        self.filenames = df[x_col].tolist()
        self._sample_weight = df[weight_col].values if weight_col else None
        if class_mode == "multi_output":
            self._targets = [np.array(df[col].tolist()) for col in y_col]
        if class_mode == "raw":
            self._targets = df[y_col].values
        self.samples = len(self.filenames)
        validated_string = "validated" if validate_filenames else "non-validated"
        if class_mode in ["input", "multi_output", "raw", None]:
            print(f"Found {self.samples} {validated_string} image filenames.")
        else:
            print(f"Found {self.samples} {validated_string} image filenames belonging to "
                  f"{num_classes} classes.")
        self._filepaths = [os.path.join(self.directory, fname) for fname in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _check_params(self, df, x_col, y_col, weight_col, classes):
        # check class mode is one of the currently supported
        if self.class_mode not in self.allowed_class_modes:
            raise ValueError("Invalid class_mode: {}; expected one of: {}".format(
                self.class_mode, self.allowed_class_modes))
        # check that y_col has several column names if class_mode is multi_output
        if self.class_mode == "multi_output" and not isinstance(y_col, list):
            raise TypeError('If class_mode="{}", y_col must be a list. Received {}.'.format(
                self.class_mode, type(y_col).__name__))
        # check that filenames/filepaths column values are all strings
        if not all(df[x_col].apply(lambda x: isinstance(x, str))):
            raise TypeError(f"All values in column x_col={x_col} must be strings.")
        # check labels are string if class_mode is binary or sparse
        if self.class_mode in {"binary", "sparse"}:
            if not all(df[y_col].apply(lambda x: isinstance(x, str))):
                raise TypeError('If class_mode="{}", y_col="{}" column values must be '
                                "strings.".format(self.class_mode, y_col))
        # check that if binary there are only 2 different classes
        if self.class_mode == "binary":
            if classes:
                classes = set(classes)
                if len(classes) != 2:
                    raise ValueError('If class_mode="binary" there must be 2 classes. {} '
                                     "class/es were given.".format(len(classes)))
            elif df[y_col].nunique() != 2:
                raise ValueError('If class_mode="binary" there must be 2 classes. Found {} '
                                 "classes.".format(df[y_col].nunique()))
        # check values are string, list or tuple if class_mode is categorical
        if self.class_mode == "categorical":
            types = (str, list, tuple)
            if not all(df[y_col].apply(lambda x: isinstance(x, types))):
                raise TypeError('If class_mode="{}", y_col="{}" column values must be type '
                                "string, list or tuple.".format(self.class_mode, y_col))
        # raise warning if classes are given but will be unused
        if classes and self.class_mode in {"input", "multi_output", "raw", None}:
            warnings.warn('`classes` will be ignored given the class_mode="{}"'.format(
                self.class_mode))
        # check that if weight column that the values are numerical
        if weight_col and not issubclass(df[weight_col].dtype.type, np.number):
            raise TypeError(f"Column weight_col={weight_col} must be numeric.")

    def get_classes(self, df, y_col):
        labels = []
        for label in df[y_col]:
            if isinstance(label, (list, tuple)):
                labels.append([self.class_indices[lbl] for lbl in label])
            else:
                labels.append(self.class_indices[label])
        return labels

    @staticmethod
    def _filter_classes(df, y_col, classes):
        df = df.copy()

        def remove_classes(labels, classes):
            if isinstance(labels, (list, tuple)):
                labels = [cls for cls in labels if cls in classes]
                return labels or None
            if isinstance(labels, str):
                return labels if labels in classes else None
            raise TypeError("Expect string, list or tuple but found {} in {} column "
                            .format(type(labels), y_col))

        if classes:
            # prepare for membership lookup
            classes = list(dict.fromkeys(classes).keys())
            df[y_col] = df[y_col].apply(lambda x: remove_classes(x, classes))
        else:
            classes = set()
            for v in df[y_col]:
                if isinstance(v, (list, tuple)):
                    classes.update(v)
                else:
                    classes.add(v)
        return df.dropna(subset=[y_col]), sorted(classes)

    def _filter_valid_filepaths(self, df, x_col):
        filepaths = df[x_col].map(lambda fname: os.path.join(self.directory, fname))
        mask = filepaths.apply(lambda p: os.path.isfile(p) and
                               p.lower().endswith(self.white_list_formats))
        n_invalid = (~mask).sum()
        if n_invalid:
            warnings.warn(f'Found {n_invalid} invalid image filename(s) in x_col="{x_col}". '
                          "These filename(s) will be ignored.")
        return df[mask]

    @property
    def filepaths(self):
        return self._filepaths

    @property
    def labels(self):
        if self.class_mode in {"multi_output", "raw"}:
            return self._targets
        return self.classes

    @property
    def sample_weight(self):
        return self._sample_weight


# ---- ImageDataGenerator -----------------------------------------------------------------

def _draw_shift(shift_range, size):
    """One random shift as keras_preprocessing draws it (same calls, same order): from a list
    or int range a signed choice, from a float range a uniform draw; fractions (< 1) of the
    axis' size."""
    if not shift_range:
        return 0
    try:  # 1-D array-like or int
        shift = np.random.choice(shift_range)
        shift *= np.random.choice([-1, 1])
    except ValueError:  # floating point
        shift = np.random.uniform(-shift_range, shift_range)
    if np.max(shift_range) < 1:
        shift *= size
    return shift


class ImageDataGenerator:
    """Generates batches of tensor image data with real-time data augmentation.

    featurewise_center / featurewise_std_normalization / zca_whitening use statistics
    from fit(x); samplewise_* use each image's own mean / std. rotation_range (degrees),
    width_shift_range / height_shift_range (float < 1: fraction of the size; >= 1: pixels;
    list: choices), brightness_range (two floats), shear_range (degrees), zoom_range (float
    z -> [1-z, 1+z], or [low, high]), channel_shift_range, fill_mode ('constant', 'nearest',
    'reflect', 'wrap'), cval, horizontal_flip, vertical_flip, rescale (multiplies after the
    other transforms), preprocessing_function (runs on each image after resize and
    augmentation, before rescale), data_format, validation_split, interpolation_order, dtype.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0., height_shift_range=0., brightness_range=None,
                 shear_range=0., zoom_range=0., channel_shift_range=0., fill_mode="nearest",
                 cval=0., horizontal_flip=False, vertical_flip=False, rescale=None,
                 preprocessing_function=None, data_format=None, validation_split=0.0,
                 interpolation_order=1, dtype=None):
        if data_format is None:
            from .. import backend
            data_format = backend.image_data_format()
        if dtype is None:
            dtype = _floatx()
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype
        self.interpolation_order = interpolation_order

        if data_format not in {"channels_last", "channels_first"}:
            raise ValueError('`data_format` should be `"channels_last"` (channel after row and '
                             'column) or `"channels_first"` (channel before row and column). '
                             f"Received: {data_format}")
        self.data_format = data_format
        if data_format == "channels_first":
            self.channel_axis = 1
            self.row_axis = 2
            self.col_axis = 3
        if data_format == "channels_last":
            self.channel_axis = 3
            self.row_axis = 1
            self.col_axis = 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError("`validation_split` must be strictly between 0 and 1.  Received: "
                             f"{validation_split}")
        self._validation_split = validation_split

        self.mean = None
        self.std = None
        self.principal_components = None

        if isinstance(zoom_range, (float, int)):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif (len(zoom_range) == 2 and
              all(isinstance(val, (float, int)) for val in zoom_range)):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError("`zoom_range` should be a float or a tuple or list of two floats. "
                             f"Received: {zoom_range}")
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which "
                              "overrides setting of `featurewise_center`.")
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which "
                              "overrides setting of`featurewise_std_normalization`.")
        if featurewise_std_normalization:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies "
                              "`featurewise_std_normalization`, which overrides setting of "
                              "`featurewise_center`.")
        if samplewise_std_normalization:
            if not samplewise_center:
                self.samplewise_center = True
                warnings.warn("This ImageDataGenerator specifies "
                              "`samplewise_std_normalization`, which overrides setting of "
                              "`samplewise_center`.")
        if brightness_range is not None:
            if (not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2):
                raise ValueError("`brightness_range should be tuple or list of two floats. "
                                 f"Received: {brightness_range}")
        self.brightness_range = brightness_range

    # -- sources --

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", subset=None):
        """Takes data & label arrays, generates batches of augmented data."""
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed,
                                  data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", follow_links=False, subset=None,
                            interpolation="nearest"):
        """Takes the path to a directory (one subdirectory per class) & generates batches of
        augmented data.  Prints `Found N images belonging to K classes.`"""
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links,
                                 subset=subset, interpolation=interpolation, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class",
                            weight_col=None, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", subset=None, interpolation="nearest",
                            validate_filenames=True, **kwargs):
        """Takes the dataframe and the path to a directory & generates batches of augmented
        data."""
        if "has_ext" in kwargs:
            warnings.warn('has_ext is deprecated, filenames in the dataframe have to contain '
                          'the extension', DeprecationWarning)
        if "sort" in kwargs:
            warnings.warn("sort is deprecated, batches will be created in the same order "
                          "than the filenames provided if shuffle is set to False.",
                          DeprecationWarning)
        if class_mode == "other":
            warnings.warn('`class_mode` "other" is deprecated, please use `class_mode` "raw".',
                          DeprecationWarning)
            class_mode = "raw"
        if "drop_duplicates" in kwargs:
            warnings.warn("drop_duplicates is deprecated, you can drop duplicates by using the "
                          "pandas.DataFrame.drop_duplicates method.", DeprecationWarning)
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col,
                                 weight_col=weight_col, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset,
                                 interpolation=interpolation,
                                 validate_filenames=validate_filenames, dtype=self.dtype)

    # -- per-image processing --

    def standardize(self, x):
        """Applies the normalization configuration in-place to a batch of inputs (or one
        image): preprocessing_function, rescale, sample-wise then feature-wise centering /
        normalization, ZCA whitening."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= (np.std(x, keepdims=True) + 1e-6)

        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it "
                              "hasn't been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.")
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= (self.std + 1e-6)
            else:
                warnings.warn("This ImageDataGenerator specifies "
                              "`featurewise_std_normalization`, but it hasn't been fit on any "
                              "training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.zca_whitening:
            if self.principal_components is not None:
                flatx = np.reshape(x, (-1, np.prod(x.shape[-3:])))
                whitex = np.dot(flatx, self.principal_components)
                x = np.reshape(whitex, x.shape)
            else:
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, but it "
                              "hasn't been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.")
        return x

    def get_random_transform(self, img_shape, seed=None):
        """Generates random parameters for a transformation of an image of shape
        img_shape (a dict: theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical,
        channel_shift_intensity, brightness)."""
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1

        if seed is not None:
            np.random.seed(seed)

        if self.rotation_range:
            theta = np.random.uniform(-self.rotation_range, self.rotation_range)
        else:
            theta = 0

        tx = _draw_shift(self.height_shift_range, img_shape[img_row_axis])
        ty = _draw_shift(self.width_shift_range, img_shape[img_col_axis])

        if self.shear_range:
            shear = np.random.uniform(-self.shear_range, self.shear_range)
        else:
            shear = 0

        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)

        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip

        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = np.random.uniform(-self.channel_shift_range,
                                                        self.channel_shift_range)

        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])

        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift_intensity, "brightness": brightness}

    def apply_transform(self, x, transform_parameters):
        """Applies a transformation to an image (rank 3, without the batch axis) according
        to the given parameters (keys as get_random_transform returns; missing keys mean no
        change)."""
        # x is a single image, so it doesn't have image number at index 0
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        img_channel_axis = self.channel_axis - 1

        x = apply_affine_transform(x, transform_parameters.get("theta", 0),
                                   transform_parameters.get("tx", 0),
                                   transform_parameters.get("ty", 0),
                                   transform_parameters.get("shear", 0),
                                   transform_parameters.get("zx", 1),
                                   transform_parameters.get("zy", 1),
                                   row_axis=img_row_axis, col_axis=img_col_axis,
                                   channel_axis=img_channel_axis, fill_mode=self.fill_mode,
                                   cval=self.cval, order=self.interpolation_order)

        if transform_parameters.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, transform_parameters["channel_shift_intensity"],
                                    img_channel_axis)

        if transform_parameters.get("flip_horizontal", False):
            x = flip_axis(x, img_col_axis)

        if transform_parameters.get("flip_vertical", False):
            x = flip_axis(x, img_row_axis)

        if transform_parameters.get("brightness") is not None:
            x = apply_brightness_shift(x, transform_parameters["brightness"])

        return x

    def random_transform(self, x, seed=None):
        """Applies a random transformation to an image (rank 3)."""
        params = self.get_random_transform(x.shape, seed)
        return self.apply_transform(x, params)

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Fits the data generator to some sample data: computes mean / std / ZCA principal
        components for the featurewise options.  x: rank-4 array of images."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError("Input to `.fit()` should have rank 4. Got array with shape: "
                             + str(x.shape))
        if x.shape[self.channel_axis] not in {1, 3, 4}:
            warnings.warn('Expected input to be images (as Numpy array) following the data '
                          'format convention "' + self.data_format + '" (channels on axis '
                          + str(self.channel_axis) + "), i.e. expected either 1, 3 or 4 "
                          "channels on axis " + str(self.channel_axis) + ". However, it was "
                          "passed an array with shape " + str(x.shape) + " ("
                          + str(x.shape[self.channel_axis]) + " channels).")

        if seed is not None:
            np.random.seed(seed)

        x = np.copy(x)
        if self.rescale:
            x *= self.rescale

        if augment:
            ax = np.zeros(tuple([rounds * x.shape[0]] + list(x.shape)[1:]), dtype=self.dtype)
            for r in range(rounds):
                for i in range(x.shape[0]):
                    ax[i + r * x.shape[0]] = self.random_transform(x[i])
            x = ax

        if self.featurewise_center:
            self.mean = np.mean(x, axis=(0, self.row_axis, self.col_axis))
            broadcast_shape = [1, 1, 1]
            broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
            self.mean = np.reshape(self.mean, broadcast_shape)
            x -= self.mean

        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=(0, self.row_axis, self.col_axis))
            broadcast_shape = [1, 1, 1]
            broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
            self.std = np.reshape(self.std, broadcast_shape)
            x /= (self.std + 1e-6)

        if self.zca_whitening:
            n = len(x)
            flat_x = np.reshape(x, (n, -1))
            u, s, _ = np.linalg.svd(flat_x.T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.principal_components = (u * s_inv).dot(u.T)

