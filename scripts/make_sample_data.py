"""Make the small sample of rock-paper-scissors photos that ships inside the package (lr_tutor/sample_data/rps),
from the full set (default $LR_TUTOR_DATA/rps, or --src).

Deterministic: per class it keeps the `--train` training and `--test` test photos whose file name hashes lowest
(SHA-1 of the name, the key `lr_tutor.data.image_files(n_per_class=...)` uses), so `n_per_class=k` picks the same
photos from the sample as from the full set, for any k up to `--train`. Each photo is resized (Lanczos) to
96x64, saved as JPEG (quality 85, optimised, no metadata) under its own name, in the same folder-per-class layout.

    python scripts/make_sample_data.py            # rewrites lr_tutor/sample_data/rps
"""
import argparse, hashlib, os, shutil
from pathlib import Path
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
README = """# A sample of the rock-paper-scissors photos

{n_train} training and {n_test} test photos ({per_train} and {per_test} per class), resized to {w}x{h} JPEG
(quality {quality}): a small copy of the real photos so that the lessons and tests run at their CPU size on a
machine with no network and no `LR_TUTOR_DATA`. `lr_tutor.data` uses it only when nothing else is found and the
caller accepts it (see `find_dataset`); it says so whenever it does. For the full set (1,576 train / 389 test
photos at 192x128), set `LR_TUTOR_DATA` to a folder holding `rps/train` and `rps/test`.

- Source: "Rock-Paper-Scissors Images" by Julien de la Bruère-Terreault (drgfreeman), published on Kaggle and in
  the rps-cv project (https://github.com/DrGFreeman/rps-cv), licensed CC BY-SA 4.0
  (https://creativecommons.org/licenses/by-sa/4.0/).
- This sample is a derivative (selected and resized photos) and is shared under the same licence, CC BY-SA 4.0,
  with this attribution. It is not covered by the project's Apache-2.0 licence.
- Made by `scripts/make_sample_data.py` from the 192x128 copy described in the project's data notes: per class
  the photos whose file name has the lowest SHA-1 (the fixed subset `image_files(n_per_class=...)` picks),
  resized with Lanczos filtering. Layout: `train/<class>/*.jpg`, `test/<class>/*.jpg`.
"""

LICENSE = """The photos in this folder are a derivative of "Rock-Paper-Scissors Images" by Julien de la Bruère-Terreault
(drgfreeman), https://github.com/DrGFreeman/rps-cv and https://www.kaggle.com/datasets/drgfreeman/rockpaperscissors,
licensed under the Creative Commons Attribution-ShareAlike 4.0 International licence (CC BY-SA 4.0):
https://creativecommons.org/licenses/by-sa/4.0/legalcode

Changes: a fixed subset of the photos was selected, and each was resized to 96x64 pixels and saved as JPEG (see
README.md). This derivative is licensed under CC BY-SA 4.0 as well. No warranties are given.
"""


def name_key(p): return hashlib.sha1(p.name.encode()).hexdigest()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--src', default=None, help='full set (default: $LR_TUTOR_DATA/rps)')
    p.add_argument('--dest', default=str(ROOT/'lr_tutor'/'sample_data'/'rps'))
    p.add_argument('--train', type=int, default=100, help='training photos per class')
    p.add_argument('--test', type=int, default=40, help='test photos per class')
    p.add_argument('--width', type=int, default=96)
    p.add_argument('--height', type=int, default=64)
    p.add_argument('--quality', type=int, default=85)
    a = p.parse_args()
    src = Path(a.src or Path(os.environ['LR_TUTOR_DATA'])/'rps')
    dest = Path(a.dest)
    if dest.exists(): shutil.rmtree(dest)
    counts = {}
    for split, n in (('train', a.train), ('test', a.test)):
        for cls_dir in sorted(d for d in (src/split).iterdir() if d.is_dir()):
            files = sorted(sorted((f for f in cls_dir.iterdir() if f.suffix.lower() == '.jpg'), key=name_key)[:n])
            if len(files) < n: raise SystemExit(f'{cls_dir} has only {len(files)} photos, {n} asked')
            out = dest/split/cls_dir.name; out.mkdir(parents=True)
            for f in files:
                with Image.open(f) as im:
                    im.convert('RGB').resize((a.width, a.height), Image.LANCZOS).save(
                        out/f.name, 'JPEG', quality=a.quality, optimize=True)
            counts[split] = counts.get(split, 0) + len(files)
    (dest/'README.md').write_text(README.format(n_train=counts['train'], n_test=counts['test'], per_train=a.train,
                                                per_test=a.test, w=a.width, h=a.height, quality=a.quality))
    (dest/'LICENSE').write_text(LICENSE)
    size = sum(f.stat().st_size for f in dest.rglob('*') if f.is_file())
    print(f"{dest}: {counts['train']} train + {counts['test']} test photos, {size/1024:.0f} KiB")


if __name__ == '__main__':
    main()
