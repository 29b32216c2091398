# FCNs in the Wild, global alignment only (GA), Cityscapes cross-city (train cities -> val
# cities), dilated VGG-16 front-end.
# Reproduces: Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016, Table 3: 67.6 mIoU on
# Cityscapes val (source only 64.0, GA+CA 67.8, see cs_crosscity_vgg16_ga_ca.py).
#
# Everything of gta2cs_vgg16_ga.py (model, GA on fc7 with weight 1, classifier widths, schedule;
# sources there) with the 2,975 labelled Cityscapes train images as the source and the 500 val
# images, unlabelled, as the target, all at 1024x512, batch 1
# (configs/_base_/datasets/cityscapes_crosscity.py). Initialisation: the trained source-only
# model of configs/source_only/cs_crosscity_vgg16.py (train it first), no warm-up; from ImageNet
# instead: --cfg-options load_from=None model.warmup_iters=10000.
_base_ = [
    '../_base_/models/vgg16_dilated_fcn.py',
    '../_base_/datasets/cityscapes_crosscity.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
load_from = 'work_dirs/cs_crosscity_vgg16/iter_150000.pth'
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
