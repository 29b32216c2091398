# Patch-level alignment (Tsai, Sohn, Schulter, Chandraker, ICCV 2019) on DeepLab-v2 ResNet-101 as
# AdaptSegNet trains it: everything of configs/patch_align/{gta2cs,synthia2cs,cs2robotcar}_1xb1.py
# but the data and the modes file. A config lists this file and a dataset config as its bases and
# sets model.adaptations.patch.modes_file (and decode_head.num_classes where the dataset has other
# than 19 classes); configs/patch_align/gta2cs_1xb1.py's header gives every value's source. The
# model of ../models/deeplabv2_r101.py with a single classifier, the patch-cluster head H on the
# segmentation output (32 px patches, 2x2 descriptor cells, per-cell pooling, patches less than
# half labelled get no target), Ld with λd = 0.01, an FCDiscriminator {256, 512, 1} on the K = 50
# dim patch representations with λadv = 0.0005, BCE; the AdaptSegNet schedule, the first 10k
# iterations with Ls only.
_base_ = [
    '../models/deeplabv2_r101.py',
    '../schedules/adaptsegnet_150k.py',
    '../default_runtime.py',
]
model = dict(
    warmup_iters=10000,
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(
        patch=dict(
            type='PatchAlignment',
            patch_size=32,
            grid=(2, 2),
            num_modes=50,
            head_pooling='cell',
            min_labelled_fraction=0.5,
            loss_weight_cluster=0.01,
            loss_weight_adv=0.0005,
            gan_type='bce',
            discriminator=dict(type='FCDiscriminator'),
        )),
)
