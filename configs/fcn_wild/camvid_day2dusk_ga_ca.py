# FCNs in the Wild, global + category-specific adaptation (GA+CA) (Hoffman, Wang, Yu, Darrell,
# 2016, Sec. 3.1-3.2), on real data, CamVid day -> dusk, on CPU: camvid_day2dusk_ga.py (same
# model, data, schedule, warm-up 200, GA weight 0.1) plus the constrained multiple-instance loss
# on the target predictions, from the class-size statistics of the 406 labelled day frames:
#   python tools/compute_class_stats.py configs/fcn_wild/camvid_day2dusk_ga_ca.py \
#       --out work_dirs/class_stats/camvid_day.json
# CA as in the paper: present when d_c > 0.1·α_c (d_c the fraction of pixels whose argmax is c),
# classes not present suppressed (Q = 0, the constrained CNN's zero constraint),
# δ_c ≤ fraction ≤ γ_c with slack on the lower bound, gradients x0.1 for classes with
# α_c > 0.1, weight 1 (the paper sums the losses). Unlike the paper's recipe, adaptation starts
# after 200 source-only iterations of the same run (the CPU table's common schedule). The
# constraints are imposed on the logits' own grid (23x30 per frame, output stride 8; the
# 4 padded bottom rows of the 184x240 input are left out).
_base_ = ['./camvid_day2dusk_ga.py']
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
