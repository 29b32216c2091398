# Source-only model of FCNs in the Wild, SYNTHIA -> Cityscapes, dilated VGG-16 front-end
# (Hoffman, Wang, Yu, Darrell, 2016, "source only": 14.7 mIoU over all 19 classes, Cityscapes
# val; terrain, truck and train, absent from SYNTHIA, count as 0): the front-end and fc8 of
# configs/fcn_wild/synthia2cs_vgg16_ga.py, from ImageNet VGG-16 weights, trained on
# SYNTHIA-RAND-CITYSCAPES at 1280x760 only (target images are not loaded).
# Optimiser/schedule: not in the paper; the adaptation configs' (adaptsegnet_150k.py, batch 1).
# The paper adapts this trained model: configs/fcn_wild/synthia2cs_vgg16_ga{,_ca}.py start from
# its final checkpoint, so train it first (from the repository root):
#   python tools/train.py configs/source_only/synthia2cs_vgg16.py
#   # -> work_dirs/synthia2cs_vgg16/iter_150000.pth, the adaptation configs' load_from
_base_ = [
    '../_base_/models/plain/vgg16_dilated_fcn.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
    '../_base_/schedules/plain/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
# the dataset base's loader on its source set alone (no target set, no warm-up batch sampler)
train_dataloader = dict(_base_.train_dataloader, _delete_=True, dataset=_base_.source_train)
del train_dataloader['batch_sampler']
model_wrapper_cfg = None  # MMEngine's DDP wrapper, as in MMSeg (default_runtime's is UDA's)
