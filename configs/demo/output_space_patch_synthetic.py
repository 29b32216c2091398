# Output space + patch-level alignment ("Ou" + patch, Tsai et al., ICCV 2019, Table 2) on the
# built-in synthetic data: the adaptations of output_space_synthetic.py and
# patch_align_synthetic.py together, same model and schedule; one "discriminator" optimizer
# trains both discriminators.
_base_ = ['./patch_align_synthetic.py']
model = dict(
    adaptations=dict(
        output=dict(
            type='OutputSpaceAdaptation',
            levels=('logits', ),
            loss_weights=(0.001, ),
            gan_type='bce',
            disc_input_size='logits',
            discriminator=dict(type='ConvDiscriminator', channels=(64, 128)),
        )))
