# Single-level output-space adaptation, Cityscapes -> Oxford RobotCar (rain), 9 classes (Tsai et
# al. ICCV 2019, "Ou": 69.5 mIoU): DeepLabV2 ResNet-101 with 9 outputs, trained on Cityscapes
# labels mapped to the RobotCar classes (configs/_base_/datasets/cityscapes_to_robotcar.py),
# λadv = 0.001, no auxiliary classifier (AdaptSegNet's single-level setting); one GPU, batch
# 1 + 1, as ./gta2cs_deeplabv2_r101_1xb1.py.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/cityscapes_to_robotcar.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    segmentor=dict(decode_head=dict(num_classes=9), auxiliary_head=None),
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
