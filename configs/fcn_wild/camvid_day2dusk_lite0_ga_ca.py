# FCNs in the Wild, global + category-specific adaptation (GA+CA) (Hoffman, Wang, Yu, Darrell,
# 2016, Sec. 3.1-3.2), on real data, CamVid day -> dusk, from ImageNet: ./camvid_day2dusk_lite0_ga.py
# plus the CA of ./camvid_day2dusk_ga_ca.py (constrained MIL on the target predictions, weight 1,
# present when d_c > 0.1·α_c, gradients x0.1 for classes with α_c > 0.1), on the logits' own
# grid (12x15 per 184x240 input, output stride 16). Class-size statistics of the 406 labelled day
# frames (the same file as the tiny config's; they depend on the labels only):
#   python tools/compute_class_stats.py configs/fcn_wild/camvid_day2dusk_lite0_ga_ca.py \
#       --out work_dirs/class_stats/camvid_day.json
_base_ = ['./camvid_day2dusk_lite0_ga.py']
stats_file = 'work_dirs/class_stats/camvid_day.json'
model = dict(
    adaptations=dict(
        ca=dict(
            type='CategoryAdaptation',
            stats_file=stats_file,
            classes='CamVidDataset',
            source_config='{{ fileDirname }}/{{ fileBasename }}',
            loss_weight=1.0,
            present_threshold=0.1,
            large_class_threshold=0.1,
            large_class_grad_scale=0.1,
        )),
)
