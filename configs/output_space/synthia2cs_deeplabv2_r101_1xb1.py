# Single-level output-space adaptation, SYNTHIA -> Cityscapes (Tsai et al. ICCV 2019, "Ou":
# 39.5 mIoU over 16 classes): as gta2cs_deeplabv2_r101_1xb1.py (one GPU, batch 1 + 1) with
# SYNTHIA (1280x760) as source. The model keeps the 19 Cityscapes outputs; evaluation reports
# mIoU (19 classes), mIoU16 and mIoU13 (mIoU*) with ClassSubsetIoUMetric
# (configs/_base_/datasets/synthia_to_cityscapes.py).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(
        output=dict(
            type='OutputSpaceAdaptation',
            levels=('logits', ),
            loss_weights=(0.001, ),
            gan_type='bce',
            disc_input_size='input',
            align_corners=True,
            discriminator=dict(type='ConvDiscriminator'),
        )),
)
