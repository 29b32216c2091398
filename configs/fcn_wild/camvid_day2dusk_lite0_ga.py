# FCNs in the Wild, global alignment (GA) only (Hoffman, Wang, Yu, Darrell, 2016, Sec. 3.1), on
# real data, CamVid day -> dusk, from ImageNet: the model, data, schedule and warm-up of
# configs/output_space/camvid_day2dusk_lite0.py, with the GA of
# configs/fcn_wild/camvid_day2dusk_ga.py (loss weight 0.1, two 1x1 hidden layers of 128, leaky
# ReLU) on the last representation before pixel prediction: the neck's fused stride-16 map
# (128 channels, 12x15 units per 184x240 input) that the ASPP classifier reads, every unit one
# instance.
# Model, data, schedule, warm-up: ../output_space/camvid_day2dusk_lite0.py (adaptation replaced).
_base_ = ['../output_space/camvid_day2dusk_lite0.py']
model = dict(
    adaptations=dict(
        _delete_=True,
        ga=dict(
            type='GlobalFeatureAlignment',
            in_channels=128,
            in_index=0,
            loss_weight=0.1,
            gan_type='bce',
            discriminator=dict(type='FeatureDiscriminator', channels=(128, 128), kernel_size=1),
        )),
)
