# FCNs in the Wild GA+CA (Hoffman et al. 2016, Sec. 3.1-3.2) on the dilated VGG-16:
# ./hoffman2016_vgg16.py plus the category-specific adaptation of
# configs/fcn_wild/gta2cs_vgg16_ga_ca.py (its header gives the sources): presence on the argmax
# map d_c > 0.1·α_c, classes not present suppressed, δ_c ≤ fraction ≤ γ_c with lower-bound
# slack, x0.1 gradients for classes with α_c > 0.1, output stride 8, weight 1. A config lists
# this file and a dataset config as its bases and sets `ca`'s stats_file, classes and
# source_config (the config itself: '{{ fileDirname }}/{{ fileBasename }}').
_base_ = ['./hoffman2016_vgg16.py']
model = dict(
    adaptations=dict(
        ca=dict(
            type='CategoryAdaptation',
            loss_weight=1.0,
            output_stride=8,
            present_threshold=0.1,
            large_class_threshold=0.1,
            large_class_grad_scale=0.1,
        )),
)
