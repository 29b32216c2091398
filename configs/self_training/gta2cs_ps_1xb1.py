# Pseudo-label re-training "Ps", GTA5 -> Cityscapes (Tsai, Sohn, Schulter, Chandraker, ICCV 2019,
# Table 2, row "Ps": 41.8 mIoU; with patch alignment 44.2: ./gta2cs_ps_patch_1xb1.py), one GPU,
# batch 1 (source) + 1 (target):
#   python tools/train.py configs/self_training/gta2cs_ps_1xb1.py
# Ps is the adversarial self-training of Hung et al. (BMVC 2018, github.com/hfslyc/AdvSemiSeg
# train.py), the paper's reference [18], with GTA5 as the labelled and Cityscapes as the
# unlabelled set (AdversarialSelfTraining): a fully convolutional discriminator (Hung et al.'s
# FCDiscriminator = ConvDiscriminator, 64-128-256-512-1) tells one-hot GTA5 label maps from
# softmax maps, both at the input size; its upsampled output is a per-pixel confidence map;
# Cityscapes pixels with confidence >= 0.2 are trained on their own arg-max. Hung et al.'s
# published values: λadv 0.01 on the labelled predictions (README command; 0.1 in the code's
# defaults), λadv 0.001 on the unlabelled ones, λsemi 0.1, mask_T 0.2, self-training 5000
# iterations after the adversarial losses start.
# Model, data and schedule: the AdaptSegNet recipe of configs/patch_align/gta2cs_1xb1.py
# (DeepLab-v2 ResNet-101, SGD 2.5e-4 / Adam 1e-4, poly 0.9 over 250k stopped at 150k).
# Differences from the published recipes (neither paper gives Ps's schedule in a UDA run): the
# first 10k iterations are source-only, as in the patch-alignment configs (our choice), the
# self-training loss starts at 15k (Hung et al.'s 5000-iteration delay after that); Hung et al.
# train D with Adam 1e-4 as here but on VOC with batch 10; D's loss is split by domain
# (AdversarialSelfTraining's docstring). Not trained here (no GPU, no GTA5/Cityscapes).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    warmup_iters=10000,
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(
        ps=dict(
            type='AdversarialSelfTraining',
            loss_weight_adv_source=0.01,
            loss_weight_adv_target=0.001,
            loss_weight_self_training=0.1,
            confidence_threshold=0.2,
            self_training_start=15000,
            gan_type='bce',
            disc_input_size='input',
            align_corners=True,
            discriminator=dict(type='ConvDiscriminator'),
        )),
)
