"""Stage `preprocess`: each part of the split as model-ready arrays (uint8 images, one-hot)."""

from __future__ import annotations

from mnist_cnn import files
from mnist_cnn.data.preparing import prepare
from mnist_cnn.layout import PARTS, Layout
from mnist_cnn.params import Params


def run(layout: Layout, params: Params) -> None:
    with files.atomic_directory(layout.prepared_dir) as staging:
        for part in PARTS:
            source = files.read_npz(layout.split_part(part), ("images", "labels", "source_index"))
            prepared = prepare(
                source["images"], source["labels"], params.image_shape, params.num_classes
            )
            files.write_npz(
                staging / f"{part}.npz", **prepared, source_index=source["source_index"]
            )
