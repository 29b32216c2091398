# FCNs in the Wild GA+CA, GTA5 -> Cityscapes, on DeepLabV2 ResNet-101: a variant NOT in the
# paper (Hoffman et al. 2016: 27.1 mIoU with the dilated VGG-16, see gta2cs_vgg16_ga_ca.py).
# gta2cs_deeplabv2_r101_ga.py (sources there) plus the paper's category-specific adaptation
# with the settings of gta2cs_vgg16_ga_ca.py (presence 0.1·α_c, δ_c ≤ fraction ≤ γ_c with
# lower-bound slack, x0.1 gradients for α_c > 0.1, weight 1), at DeepLabV2's output stride 8.
# Statistics of the GTA5 training labels (the same file as the VGG-16 config):
#   python tools/compute_class_stats.py configs/fcn_wild/gta2cs_deeplabv2_r101_ga_ca.py \
#       --out work_dirs/class_stats/gta5.json
_base_ = ['./gta2cs_deeplabv2_r101_ga.py']
stats_file = 'work_dirs/class_stats/gta5.json'
model = dict(
    adaptations=dict(
        ca=dict(
            type='CategoryAdaptation',
            stats_file=stats_file,
            classes='GTA5Dataset',
            source_config='{{ fileDirname }}/{{ fileBasename }}',
            loss_weight=1.0,
            output_stride=8,
            present_threshold=0.1,
            large_class_threshold=0.1,
            large_class_grad_scale=0.1,
        )),
)
