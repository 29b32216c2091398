# FCNs in the Wild, global alignment only (GA), SYNTHIA -> Cityscapes, dilated VGG-16 front-end.
# Reproduces: Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016, Table 1: 16.6 mIoU (source
# only 14.7, GA+CA 17.0, see synthia2cs_vgg16_ga_ca.py). The paper's SYNTHIA figures are means
# over all 19 Cityscapes classes (terrain, truck and train, absent from SYNTHIA, count as 0):
# compare them with this config's `mIoU`, not with mIoU16/mIoU13
# (configs/_base_/datasets/synthia_to_cityscapes.py reports all three).
#
# Everything of gta2cs_vgg16_ga.py (model, GA on fc7 with weight 1, classifier widths, schedule;
# sources there) with SYNTHIA-RAND-CITYSCAPES at 1280x760 as the source, Cityscapes train at
# 1024x512 as the target, batch 1. Initialisation: the trained source-only model of
# configs/source_only/synthia2cs_vgg16.py (train it first), no warm-up; from ImageNet instead:
# --cfg-options load_from=None model.warmup_iters=10000.
_base_ = [
    '../_base_/models/vgg16_dilated_fcn.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
load_from = 'work_dirs/synthia2cs_vgg16/iter_150000.pth'
model = dict(
    warmup_iters=0,
    adaptations=dict(
        ga=dict(
            type='GlobalFeatureAlignment',
            in_channels=4096,
            in_index=-1,  # fc7
            loss_weight=1.0,
            gan_type='bce',
            discriminator=dict(type='FeatureDiscriminator', channels=(1024, 1024),
                               kernel_size=1),
        )),
)
