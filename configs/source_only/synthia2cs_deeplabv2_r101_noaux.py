# Source-only model of the DeepLabV2 ResNet-101 variant of FCNs in the Wild (NOT in the paper, which
# uses the dilated VGG-16, see synthia2cs_vgg16.py), SYNTHIA -> Cityscapes: the single-classifier
# DeepLabV2-R101 (no auxiliary head) of configs/fcn_wild/synthia2cs_deeplabv2_r101_ga.py, trained on
# SYNTHIA-RAND-CITYSCAPES at 1280x760 only (target images are not loaded), evaluated on Cityscapes
# val; AdaptSegNet optimisation, 150k iterations, batch 1.
# configs/fcn_wild/synthia2cs_deeplabv2_r101_ga{,_ca}.py start from its final checkpoint, so train
# it first (from the repository root):
#   python tools/train.py configs/source_only/synthia2cs_deeplabv2_r101_noaux.py
#   # -> work_dirs/synthia2cs_deeplabv2_r101_noaux/iter_150000.pth, their load_from
_base_ = [
    '../_base_/models/plain/deeplabv2_r101.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
    '../_base_/schedules/plain/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
model = dict(auxiliary_head=None)
# the dataset base's loader on its source set alone (no target set, no warm-up batch sampler)
train_dataloader = dict(_base_.train_dataloader, _delete_=True, dataset=_base_.source_train)
del train_dataloader['batch_sampler']
model_wrapper_cfg = None  # MMEngine's DDP wrapper, as in MMSeg (default_runtime's is UDA's)
