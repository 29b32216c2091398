# The built-in synthetic domain shift (tools/generate_synthetic_data.py): a labelled "source"
# city and an appearance-shifted "target" city, in the Cityscapes folder layout, read with
# MMSeg's own CityscapesDataset (19 train ids; the scenes draw 10 of them).
# Pipelines (native frames, random flip in training), evaluation and loaders:
# ./uda_dataloaders.py, with batches of 8 frames.
_base_ = ['./uda_dataloaders.py']
data_root = 'data/synthetic'
crop_size = (96, 192)
source_train = dict(
    type='CityscapesDataset',
    data_root=data_root + '/source',
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
)
target_train = dict(
    type='CityscapesDataset',
    data_root=data_root + '/target',
    data_prefix=dict(img_path='leftImg8bit/train'),
)
train_dataloader = dict(
    batch_size=8, num_workers=2, dataset=dict(source=source_train, target=target_train))
# Evaluation on the target domain's labelled val split.
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        type='CityscapesDataset',
        data_root=data_root + '/target',
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    ))
test_dataloader = val_dataloader
