# Cityscapes -> Oxford RobotCar (rain), 9 classes (Tsai et al. ICCV 2019). Both domains in the
# RobotCar label space: the 2,975 Cityscapes train images with their labels mapped 19 -> 9
# (CityscapesAsRobotCarDataset, see mmseg_uda/datasets/robotcar.py), resized to 1024x512;
# target: the unlabelled RobotCar train images (1280x960), resized to 1024x768 (our choice: the
# source width, aspect ratio kept). Evaluation: RobotCar val at 1024x768, logits upsampled to
# the full-resolution labels, 9-class IoUMetric. Models trained with this config need
# num_classes=9 (configs/output_space/cs2robotcar_deeplabv2_r101_1xb1.py).
# Source pipeline and loaders: ./cityscapes_1024x512.py; its target, test and TTA pipelines at
# 1024x768.
_base_ = ['./cityscapes_1024x512.py']
robotcar_root = 'data/robotcar'
target_pipeline, test_pipeline, tta_pipeline = ([
    dict(step, scale=(1024, 768)) if step['type'] == 'Resize' else step for step in pipeline
] for pipeline in (_base_.target_pipeline, _base_.test_pipeline, _base_.tta_pipeline))
source_train = dict(
    type='CityscapesAsRobotCarDataset',
    data_root=_base_.cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
)
target_train = dict(
    type='OxfordRobotCarDataset',
    data_root=robotcar_root,
    data_prefix=dict(img_path='images/train'),
    pipeline=target_pipeline,
)
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(
    dataset=dict(
        type='OxfordRobotCarDataset',
        data_root=robotcar_root,
        data_prefix=dict(img_path='images/val', seg_map_path='labels/val'),
        pipeline=test_pipeline,
    ))
test_dataloader = val_dataloader
