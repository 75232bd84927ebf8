#!/usr/bin/env python3
"""Writes a SYNTHETIC, beans-like image folder dataset for the course's section 9
(ImageDataGenerator.flow_from_directory) without downloading anything.

THE IMAGES ARE SYNTHETIC: procedurally drawn bean leaves, not photographs, and not the real
"beans" dataset (https://github.com/AI-Lab-Makerere/ibean).  Only the folder layout, class
names, image size (500x500 JPEG) and the number of images per split (train 1034 / validation
133 / test 128) follow the real dataset:

    <out>/train/{angular_leaf_spot,bean_rust,healthy}/*.jpg
    <out>/validation/...
    <out>/test/...

Classes differ in a learnable way: healthy leaves are clean green with veins; angular_leaf_spot
leaves carry angular brown lesions with yellow margins; bean_rust leaves carry many small
round rust-red pustules with yellow halos.  Leaf pose, size, shade, background and lighting
vary at random.  Images are deterministic given --seed.

    python tools/make_beans.py beans_dataset            # full size (about 1300 JPEGs)
    python tools/make_beans.py /tmp/beans --small       # 4/2/2 images per class, 64x64
    python tools/make_beans.py out --size 128 --per-class 10 4 4
"""
import argparse
import math
import os
import sys

import numpy as np

CLASSES = ("angular_leaf_spot", "bean_rust", "healthy")
SPLITS = ("train", "validation", "test")
# images per class in each split, as the real beans dataset
FULL_COUNTS = {"train": (345, 348, 341), "validation": (44, 45, 44), "test": (43, 43, 42)}
BANNER = ("SYNTHETIC beans-like dataset (procedurally drawn leaves, NOT the real beans "
          "photographs)")


def _smooth_noise(rng, size, cells):
    """Smooth random field in 0..1 of shape (size, size): bilinear upsampling of a coarse
    random grid."""
    from PIL import Image
    g = (rng.random_sample((cells, cells)) * 255).astype(np.uint8)
    img = Image.fromarray(g, "L").resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _leaf_polygon(rng, size):
    """Points of an ovate, pointed bean leaf, randomly posed."""
    cx = size * (0.5 + rng.uniform(-0.08, 0.08))
    cy = size * (0.5 + rng.uniform(-0.08, 0.08))
    length = size * rng.uniform(0.38, 0.46)     # half length
    width = length * rng.uniform(0.55, 0.75)     # half width
    angle = rng.uniform(0, 2 * math.pi)
    ca, sa = math.cos(angle), math.sin(angle)
    pts = []
    for t in np.linspace(0, 2 * math.pi, 90, endpoint=False):
        # ovate outline: wider near the base, pointed tip at t = 0
        u = math.cos(t)                      # along the leaf axis, tip at +1
        v = math.sin(t) * (1 - 0.25 * u) * (1 - 0.35 * max(u, 0) ** 3)
        x, y = u * length, v * width
        pts.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    tip = (cx + length * ca, cy + length * sa)
    base = (cx - length * ca, cy - length * sa)
    return pts, (cx, cy), tip, base, length, width, (ca, sa)


def draw_leaf(rng, label, size=500):
    """One RGB PIL image of a synthetic bean leaf of class `label` (see CLASSES)."""
    from PIL import Image, ImageDraw, ImageFilter
    # background: soil / hand / sky-like tones with smooth variation
    tones = [[95, 75, 55], [140, 120, 100], [70, 80, 60], [170, 160, 150], [60, 55, 50]]
    bg_base = np.array(tones[rng.randint(len(tones))], np.float32)
    bg_base = bg_base + rng.uniform(-20, 20, 3)
    noise = _smooth_noise(rng, size, 6)[..., None]
    bg = np.clip(bg_base * (0.7 + 0.6 * noise), 0, 255).astype(np.uint8)
    img = Image.fromarray(bg, "RGB")

    pts, center, tip, base, length, width, (ca, sa) = _leaf_polygon(rng, size)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).polygon(pts, fill=255)
    green = np.array([60, 130, 40], np.float32) + rng.uniform(-15, 15, 3)
    if label == "healthy":
        green = green + np.array([-5, 10, 0])
    tex = _smooth_noise(rng, size, 12)[..., None]
    leaf = np.clip(green * (0.8 + 0.4 * tex), 0, 255).astype(np.uint8)
    leaf_img = Image.fromarray(leaf, "RGB")
    d = ImageDraw.Draw(leaf_img)   # veins drawn on the leaf layer, clipped by the mask
    vein = tuple(int(c) for c in np.clip(green + 45, 0, 255))
    lw = max(1, size // 170)
    d.line([base, tip], fill=vein, width=lw + 1)
    for k in range(1, 6):
        f = k / 6.0
        px, py = base[0] + (tip[0] - base[0]) * f, base[1] + (tip[1] - base[1]) * f
        for side in (-1, 1):
            ang = math.atan2(sa, ca) + side * rng.uniform(0.6, 0.9)
            ln = width * (1.0 - 0.6 * abs(f - 0.35)) * 0.9
            d.line([(px, py), (px + ln * math.cos(ang), py + ln * math.sin(ang))],
                   fill=vein, width=lw)
    img.paste(leaf_img, (0, 0), mask)
    d = ImageDraw.Draw(img)
    # stem
    d.line([base, (base[0] - 0.25 * length * ca, base[1] - 0.25 * length * sa)],
           fill=tuple(int(c) for c in green * 0.8), width=lw + 2)

    inside = np.argwhere(np.asarray(mask) > 0)   # (row, col) of leaf pixels

    def _spots(n):
        idx = rng.randint(0, len(inside), n)
        return inside[idx][:, ::-1].astype(np.float64)  # (x, y)

    s = size / 500.0
    if label == "angular_leaf_spot":
        for x, y in _spots(rng.randint(12, 30)):
            r = rng.uniform(7, 16) * s
            nv = rng.randint(4, 7)
            angs = np.sort(rng.uniform(0, 2 * math.pi, nv))
            poly = [(x + r * rng.uniform(0.6, 1.0) * math.cos(a),
                     y + r * rng.uniform(0.6, 1.0) * math.sin(a)) for a in angs]
            halo = [(x + 1.35 * (px - x), y + 1.35 * (py - y)) for px, py in poly]
            d.polygon(halo, fill=(175, 170, 60))
            brown = tuple(int(c) for c in np.array([115, 80, 40]) + rng.uniform(-15, 15, 3))
            d.polygon(poly, fill=brown)
    elif label == "bean_rust":
        for x, y in _spots(rng.randint(40, 110)):
            r = rng.uniform(2.5, 5.5) * s
            d.ellipse([x - 2.2 * r, y - 2.2 * r, x + 2.2 * r, y + 2.2 * r],
                      fill=(165, 165, 55))
            rust = tuple(int(c) for c in np.array([150, 65, 30]) + rng.uniform(-15, 15, 3))
            d.ellipse([x - r, y - r, x + r, y + r], fill=rust)
    else:  # healthy: a few faint light specks only
        for x, y in _spots(rng.randint(0, 6)):
            r = rng.uniform(1.5, 3) * s
            d.ellipse([x - r, y - r, x + r, y + r], fill=vein)

    img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.3, 1.2) * s))
    # directional lighting
    a = np.asarray(img, np.float32)
    yy, xx = np.mgrid[0:size, 0:size] / float(size)
    la = rng.uniform(0, 2 * math.pi)
    light = 1.0 + rng.uniform(0.05, 0.25) * ((xx - 0.5) * math.cos(la) + (yy - 0.5) * math.sin(la))
    a = np.clip(a * light[..., None] * rng.uniform(0.85, 1.15), 0, 255).astype(np.uint8)
    return Image.fromarray(a, "RGB")


def make_beans(out_dir, counts=None, size=500, seed=0, quality=90, verbose=True):
    """Writes the dataset under out_dir; counts: {split: (n per class in CLASSES order)}.
    Returns the number of images written."""
    counts = FULL_COUNTS if counts is None else counts
    rng = np.random.RandomState(seed)
    total = 0
    if verbose:
        print(BANNER)
    for split in SPLITS:
        if split not in counts:
            continue
        for label, n in zip(CLASSES, counts[split]):
            d = os.path.join(out_dir, split, label)
            os.makedirs(d, exist_ok=True)
            for i in range(n):
                img_rng = np.random.RandomState(rng.randint(2 ** 31 - 1))
                img = draw_leaf(img_rng, label, size)
                img.save(os.path.join(d, f"{label}_{split}.{i}.jpg"), "JPEG", quality=quality)
                total += 1
        if verbose:
            print(f"{split}: {sum(counts[split])} images "
                  f"({', '.join(f'{c} {n}' for c, n in zip(CLASSES, counts[split]))})")
    if verbose:
        print(f"Wrote {total} SYNTHETIC {size}x{size} JPEG images to {out_dir}")
    return total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir", nargs="?", default="beans_dataset")
    p.add_argument("--small", action="store_true",
                   help="tiny set for tests: 4/2/2 images per class, 64x64")
    p.add_argument("--size", type=int, default=None, help="image side in pixels (500)")
    p.add_argument("--per-class", type=int, nargs=3, metavar=("TRAIN", "VAL", "TEST"),
                   help="images per class in train, validation, test")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quality", type=int, default=90, help="JPEG quality")
    a = p.parse_args(argv)
    size = a.size or (64 if a.small else 500)
    if a.per_class:
        counts = {s: (n,) * 3 for s, n in zip(SPLITS, a.per_class)}
    elif a.small:
        counts = {"train": (4, 4, 4), "validation": (2, 2, 2), "test": (2, 2, 2)}
    else:
        counts = FULL_COUNTS
    make_beans(a.out_dir, counts, size=size, seed=a.seed, quality=a.quality)
    return 0


if __name__ == "__main__":
    sys.exit(main())
