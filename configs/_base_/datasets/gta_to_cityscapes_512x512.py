# GTA5 -> Cityscapes with 512x512 training crops (the DAFormer-style variant): the same resized
# images as gta_to_cityscapes.py (source 1280x720, target 1024x512), then a random 512x512 crop
# (source crops holding more than 75 % of one class are re-drawn) and a random horizontal flip.
# Evaluation is unchanged (whole 1024x512 image, full-resolution labels).
_base_ = ['./gta_to_cityscapes.py']
crop_size = (512, 512)
source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='Resize', scale=(1280, 720), keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
source_train = dict(pipeline=source_pipeline)
target_train = dict(pipeline=target_pipeline)
train_dataloader = dict(
    dataset=dict(source=dict(pipeline=source_pipeline), target=dict(pipeline=target_pipeline)))
