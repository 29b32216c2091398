# SYNTHIA -> Cityscapes (AdaptSegNet; patch alignment, Tsai et al. ICCV 2019; FCNs in the Wild).
# Source: the 9,400 SYNTHIA-RAND-CITYSCAPES frames (1280x760, kept at that size) with labels
# converted to the 19 Cityscapes train ids (tools/dataset_converters/synthia.py; terrain, truck
# and train never occur). Target: 2,975 Cityscapes train images, unlabelled, 1024x512.
# Evaluation on the 500 Cityscapes val images as in gta_to_cityscapes.py, reporting
#   mIoU   - all 19 classes (IoUMetric),
#   mIoU16 - the 16 SYNTHIA classes, ground truth of terrain/truck/train ignored,
#   mIoU13 - mIoU* of Tsai et al.: the 16-class IoUs averaged without wall, fence and pole.
# The model keeps 19 outputs (same heads and checkpoints as GTA5 -> Cityscapes); the absent
# classes just never get a positive label.
_base_ = ['./gta_to_cityscapes.py']
synthia_root = 'data/synthia'
synthia_16 = [
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign',
    'vegetation', 'sky', 'person', 'rider', 'car', 'bus', 'motorcycle', 'bicycle'
]
synthia_13 = [
    'road', 'sidewalk', 'building', 'traffic light', 'traffic sign', 'vegetation', 'sky',
    'person', 'rider', 'car', 'bus', 'motorcycle', 'bicycle'
]
# the source pipeline of ./gta_to_cityscapes.py at SYNTHIA's own 1280x760
source_pipeline = [
    dict(step, scale=(1280, 760)) if step['type'] == 'Resize' else step
    for step in _base_.source_pipeline
]
source_train = dict(
    _delete_=True,
    type='SynthiaDataset',
    data_root=synthia_root,
    data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
    pipeline=source_pipeline,
)
train_dataloader = dict(dataset=dict(source=source_train))
val_evaluator = dict(
    type='ClassSubsetIoUMetric',
    iou_metrics=['mIoU'],
    eval_classes=synthia_16,
    subsets=dict(mIoU16=synthia_16, mIoU13=synthia_13),
)
test_evaluator = val_evaluator
