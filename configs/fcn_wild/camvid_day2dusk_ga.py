# FCNs in the Wild, global alignment (GA) only (Hoffman, Wang, Yu, Darrell, 2016, Sec. 3.1), on
# real data, CamVid day -> dusk, on CPU: the model, data, schedule (600 iterations) and warm-up
# (200 source-only iterations) of configs/output_space/camvid_day2dusk_tiny.py, with the
# fully-convolutional domain classifier on the last representation before pixel prediction.
# The tiny ResNet-18 DeepLabV2 has no fc7: GA reads the last backbone stage (128 channels,
# output stride 8, 23x30 units per 180x240 frame), every spatial unit being one instance.
#
# Loss weight 0.1 (our choice; the paper sums the confusion loss with the segmentation loss,
# i.e. weight 1, for an ImageNet-pretrained VGG-16 fine-tuned at a small learning rate). Here
# the backbone is trained from scratch at lr 0.01 for 600 adaptation iterations, and the domain
# gap (dusk frames are about half as bright) makes the classifier confident within a few
# iterations, so the confusion gradient (up to 0.5 per unit, bounded: it vanishes at the
# classifier's maximal uncertainty instead of growing like an inverted-label loss) would
# otherwise compete with the segmentation gradient on the very features the classifier reads;
# 0.1 keeps it an order of magnitude below the segmentation loss's.
# Classifier: two 1x1 hidden layers of 128 (the features' width), leaky ReLU, Adam 1e-4
# (the schedule's discriminator optimizer).
# Model, data, schedule, warm-up: ../output_space/camvid_day2dusk_tiny.py (adaptation replaced).
_base_ = ['../output_space/camvid_day2dusk_tiny.py']
model = dict(
    adaptations=dict(
        _delete_=True,
        ga=dict(
            type='GlobalFeatureAlignment',
            in_channels=128,
            in_index=-1,
            loss_weight=0.1,
            gan_type='bce',
            discriminator=dict(type='FeatureDiscriminator', channels=(128, 128), kernel_size=1),
        )),
)
