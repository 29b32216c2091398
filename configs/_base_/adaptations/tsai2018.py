# Single-level output-space adaptation (AdaptSegNet, Tsai et al. CVPR 2018) as variables for the
# configs that use it (configs/output_space/, configs/patch_align/*_ou*.py and the adaptation
# bases beside this file). Only variables: a config lists this file among its bases and sets
# e.g. model.adaptations.output = {{_base_.ou_adaptsegnet}}.
#
# λadv = 0.001 on the final classifier's output, BCE GAN loss. AdaptSegNet's own discriminator:
# one ConvDiscriminator (64-128-256-512-1) on the softmax of the final classifier upsampled to
# the input (align_corners=True, as the reference's nn.Upsample).
ou_common = dict(type='OutputSpaceAdaptation', levels=('logits', ), loss_weights=(0.001, ),
                 gan_type='bce')
ou_adaptsegnet = dict(ou_common, disc_input_size='input', align_corners=True,
                      discriminator=dict(type='ConvDiscriminator'))
# The same λadv and loss for the small CPU models: the discriminator at the head's own
# resolution with 3 stride-2 layers (64-128-1). On the tiny ResNet-18 DeepLabV2 the
# full-resolution AdaptSegNet discriminator makes each adaptation step ~4.4x the source-only
# step, this one ~1.5x (benchmarks/bench_train_step.py).
ou_logits = dict(ou_common, disc_input_size='logits',
                 discriminator=dict(type='ConvDiscriminator', channels=(64, 128)))
