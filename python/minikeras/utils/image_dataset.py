"""keras.utils.image_dataset_from_directory (tf.keras 2.5's
keras.preprocessing.image_dataset_from_directory): a tf.data.Dataset of
(images, labels) batches from class subfolders.

Images are read with tf.io.read_file and decoded with tf.image.decode_image when the
string-tensor codecs are present (engine/api/image_codec.py, Pillow underneath), else
with Pillow directly; they are resized with tf.image.resize (TF's half-pixel bilinear
etc., the imageops C kernels) when present, else with Pillow's resize (bilinear by
default; not pixel-identical to TF).  Decoding runs in Dataset.map with
num_parallel_calls=AUTOTUNE (worker threads; the decoders release the GIL)."""
import os

import numpy as np

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_USE_TF_OPS = True     # False: always the Pillow loader (tests)

__all__ = ["image_dataset_from_directory"]


def _iter_valid_files(directory, follow_links, formats):
    walk = os.walk(directory, followlinks=follow_links)
    for root, _, files in sorted(walk, key=lambda x: x[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                yield root, fname


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False):
    """(file_paths, labels, class_names) as keras.preprocessing.dataset_utils does."""
    if labels is None:
        subdirs = [""]
        class_names = subdirs
    else:
        subdirs = []
        for subdir in sorted(os.listdir(directory)):
            if os.path.isdir(os.path.join(directory, subdir)):
                subdirs.append(subdir)
        if not class_names:
            class_names = subdirs
        elif set(class_names) != set(subdirs):
            raise ValueError("The `class_names` passed did not match the names of the "
                             "subdirectories of the target directory. Expected: "
                             f"{subdirs}, but received: {class_names}")
    class_indices = dict(zip(class_names, range(len(class_names))))
    filenames = []
    label_list = []
    for dirpath in (os.path.join(directory, s) for s in subdirs):
        sub = os.path.basename(dirpath) if labels is not None else ""
        for root, fname in _iter_valid_files(dirpath, follow_links, formats):
            filenames.append(os.path.relpath(os.path.join(root, fname), directory))
            label_list.append(class_indices.get(sub, 0) if labels == "inferred" else 0)
    if labels not in ("inferred", None):
        if len(labels) != len(filenames):
            raise ValueError("Expected the lengths of `labels` to match the number of files in "
                             f"the target directory. len(labels) is {len(labels)} while we "
                             f"found {len(filenames)} files in {directory}.")
        label_list = list(labels)
    file_paths = [os.path.join(directory, f) for f in filenames]
    labels_arr = np.asarray(label_list, dtype=np.int64) if labels is not None else None
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        rng = np.random.RandomState(seed)
        rng.shuffle(file_paths)
        if labels_arr is not None:
            rng = np.random.RandomState(seed)
            rng.shuffle(labels_arr)
    return file_paths, labels_arr, class_names


def _check_split(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", None):
        raise ValueError('`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide "
                         "a `seed` argument, to make sure that there is no overlap between the "
                         "training and validation subset.")


def _split(samples, labels, validation_split, subset):
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - num_val} files for training.")
        samples = samples[:-num_val]
        labels = labels[:-num_val] if labels is not None else None
    elif subset == "validation":
        print(f"Using {num_val} files for validation.")
        samples = samples[-num_val:]
        labels = labels[-num_val:] if labels is not None else None
    return samples, labels


def _loader(image_size, num_channels, interpolation, crop_to_aspect_ratio):
    from .. import tf
    tf_image = getattr(tf, "image", None)
    have_decode = _USE_TF_OPS and tf_image is not None and hasattr(tf_image, "decode_image") and \
        hasattr(tf, "io") and hasattr(tf.io, "read_file")
    have_resize = tf_image is not None and hasattr(tf_image, "resize")
    h, w = int(image_size[0]), int(image_size[1])

    def crop_box(ih, iw):
        if not crop_to_aspect_ratio:
            return None
        ch = min(ih, int(iw * h / w))
        cw = min(iw, int(ih * w / h))
        return (ih - ch) // 2, (iw - cw) // 2, ch, cw

    if have_decode and have_resize:
        def load(path):
            img = tf.image.decode_image(tf.io.read_file(path), channels=num_channels,
                                        expand_animations=False)
            box = crop_box(img.shape[0], img.shape[1])
            if box is not None:
                img = img[box[0]:box[0] + box[2], box[1]:box[1] + box[3]]
            return tf.image.resize(img, (h, w), method=interpolation)
        return load

    from PIL import Image
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[num_channels]
    resample = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR,
                "bicubic": Image.BICUBIC, "lanczos3": Image.LANCZOS,
                "lanczos5": Image.LANCZOS, "area": Image.BOX}.get(interpolation, Image.BILINEAR)

    def load(path):
        p = path.numpy() if hasattr(path, "numpy") else path
        p = p.decode() if isinstance(p, bytes) else str(p)
        with Image.open(p) as im:
            im = im.convert(mode)
            box = crop_box(im.height, im.width)
            if box is not None:
                im = im.crop((box[1], box[0], box[1] + box[3], box[0] + box[2]))
            a = np.asarray(im.resize((w, h), resample), dtype=np.float32)
        if a.ndim == 2:
            a = a[:, :, None]
        return tf.convert_to_tensor(a)
    return load


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False, **kwargs):
    """A tf.data.Dataset of (images float32 [b, h, w, c], labels) batches (images only when
    labels=None); `.class_names` lists the classes, `.file_paths` the files."""
    from .. import tf
    if kwargs:
        if "smart_resize" in kwargs:
            crop_to_aspect_ratio = kwargs.pop("smart_resize")
        if kwargs:
            raise TypeError(f"Unknown keywords argument(s): {tuple(kwargs.keys())}")
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError("`labels` argument should be a list/tuple of integer labels, of "
                             "the same size as the number of image files in the target "
                             "directory. If you wish to infer the labels from the subdirectory "
                             'names in the target directory, pass `labels="inferred"`. If you '
                             "wish to get a dataset that only contains images (no labels), pass "
                             f"`labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError("You can only pass `class_names` if `labels='inferred'`. Received: "
                             f"labels={labels}, and class_names={class_names}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", '
                         f"or None. Received: label_mode={label_mode}")
    if labels is None or label_mode is None:
        labels = None
        label_mode = None
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. Received: '
                         f"color_mode={color_mode}")
    interpolation = str(interpolation).lower()
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, label_arr, class_names = index_directory(
        directory, labels, formats=ALLOWLIST_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links)
    if labels is None:
        print(f"Found {len(paths)} files.")
    else:
        print(f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    paths, label_arr = _split(paths, label_arr, validation_split, subset)
    if not paths:
        raise ValueError(f"No images found in directory {directory}. Allowed formats: "
                         f"{ALLOWLIST_FORMATS}")
    load = _loader(image_size, channels, interpolation, crop_to_aspect_ratio)
    path_ds = tf.data.Dataset.from_tensor_slices(paths)
    ds = path_ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if label_mode is not None:
        if label_mode == "int":
            lab = label_arr.astype(np.int32)
        elif label_mode == "binary":
            lab = label_arr.astype(np.float32).reshape(-1, 1)
        else:
            lab = np.eye(len(class_names), dtype=np.float32)[label_arr]
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(lab)))
    if shuffle:
        ds = ds.shuffle(buffer_size=batch_size * 8, seed=seed)
    ds = ds.batch(batch_size)
    ds.class_names = class_names
    ds.file_paths = paths
    return ds
