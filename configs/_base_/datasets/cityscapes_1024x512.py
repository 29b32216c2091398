# Cityscapes-sized UDA data: every image resized to 1024x512 (training without keeping the aspect
# ratio, as AdaptSegNet, and by default neither flipped nor cropped; test keeping it, labels
# loaded after the resize so they keep their full 2048x1024 resolution: the segmentor upsamples
# the logits to them before the arg-max, EncoderDecoder.postprocess_result); target: the 2,975
# Cityscapes train images, unlabelled; evaluation: the 500 Cityscapes val images, 19 classes.
# The base of ./gta_to_cityscapes.py, ./cityscapes_crosscity.py and ./cityscapes_to_robotcar.py,
# which set the source (and, for RobotCar, the target); other sizes: a pipeline of this file
# with its Resize scale replaced (as ./cityscapes_to_robotcar.py does).
_base_ = ['./uda_dataloaders.py']
cityscapes_root = 'data/cityscapes'
source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='PackSegInputs'),
]
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadCheckedAnnotations'),
    dict(type='PackSegInputs'),
]
# tools/test.py --tta: the test resize, then ./test_time_aug.py's scales and flips
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    {{_base_.test_time_aug}},
]
source_train = dict(pipeline=source_pipeline)
target_train = dict(
    type='CityscapesDataset',
    data_root=cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/train'),
    pipeline=target_pipeline,
)
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(
    dataset=dict(
        type='CityscapesDataset',
        data_root=cityscapes_root,
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=test_pipeline,
    ))
test_dataloader = val_dataloader
