# CamVid day -> dusk (real data, small enough for CPU): the 240x180 frames that
# tools/dataset_converters/camvid.py builds from the SegNet tutorial's CamVid release into
# data/camvid_daydusk (see the README.md it writes there).
# Source: day sequences 0006R0 + 0016E5, 406 labelled frames; target train: dusk sequence
# 0001TP, first 62 frames, unlabelled; evaluation: the other 62 dusk frames (target test).
# 11 classes, 255 = unlabelled. `source_val` (Seq05VD, 171 day frames) measures the source
# domain, e.g. val_dataloader = dict(dataset={{_base_.source_val}}) in a derived config.
# data_root is relative to the working directory (the repository root). In this repository's
# development checkout, `make setup` links data/camvid_daydusk to ../shared/data/camvid_daydusk
# when that folder exists beside the checkout. Elsewhere, link the folder or override it:
#   --cfg-options train_dataloader.dataset.source.data_root=DIR \
#       train_dataloader.dataset.target.data_root=DIR val_dataloader.dataset.data_root=DIR \
#       test_dataloader.dataset.data_root=DIR
# (source-only configs: train_dataloader.dataset.data_root=DIR).
# Pipelines (native frames, random flip in training), evaluation and loaders:
# ./uda_dataloaders.py, with batches of 8 frames.
_base_ = ['./uda_dataloaders.py']
data_root = 'data/camvid_daydusk'
source_train = dict(
    type='CamVidDataset',
    data_root=data_root,
    data_prefix=dict(img_path='source/img/train', seg_map_path='source/ann/train'),
)
target_train = dict(
    type='CamVidDataset',
    data_root=data_root,
    data_prefix=dict(img_path='target/img/train'),
)
source_val = dict(
    type='CamVidDataset',
    data_root=data_root,
    data_prefix=dict(img_path='source/img/val', seg_map_path='source/ann/val'),
    pipeline=_base_.test_pipeline,
)
train_dataloader = dict(
    batch_size=8, num_workers=2, dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        type='CamVidDataset',
        data_root=data_root,
        data_prefix=dict(img_path='target/img/test', seg_map_path='target/ann/test'),
    ))
test_dataloader = val_dataloader
