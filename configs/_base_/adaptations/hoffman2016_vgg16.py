# FCNs in the Wild (Hoffman, Wang, Yu, Darrell, 2016), global alignment (GA) on the dilated
# VGG-16 front-end: everything of configs/fcn_wild/*_vgg16_ga.py but the data and the
# source-only checkpoint they start from (load_from). A config lists this file and a dataset
# config as its bases. GA: a FeatureDiscriminator (two 1x1 hidden layers of 1024) on fc7 (4096
# channels), every unit one instance, BCE GAN loss, weight 1, from the first iteration (the model
# starts from the trained source-only checkpoint). CA on top: ./hoffman2016_vgg16_ca.py.
_base_ = [
    '../models/vgg16_dilated_fcn.py',
    '../schedules/adaptsegnet_150k.py',
    '../default_runtime.py',
]
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
