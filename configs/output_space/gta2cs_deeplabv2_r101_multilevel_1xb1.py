# Multi-level output-space adaptation, GTA5 -> Cityscapes (AdaptSegNet, 42.4 mIoU): besides the
# final classifier's discriminator (λadv 0.001), a second one on the stage-3 auxiliary
# classifier's output (λadv 0.0002; its segmentation loss weight 0.1 is in the model config),
# AdaptSegNet's defaults; one GPU, batch 1 + 1, as ./gta2cs_deeplabv2_r101_1xb1.py.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    adaptations=dict(
        output=dict(
            type='OutputSpaceAdaptation',
            levels=('logits', 'aux_logits'),
            loss_weights=(0.001, 0.0002),
            gan_type='bce',
            disc_input_size='input',
            align_corners=True,
            discriminator=dict(type='ConvDiscriminator'),
        )),
)
