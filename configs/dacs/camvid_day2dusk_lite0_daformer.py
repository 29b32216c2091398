# DAFormer's training strategies (Hoyer, Dai, Van Gool, CVPR 2022) on CamVid day -> dusk, from
# ImageNet: ./camvid_day2dusk_lite0.py (DACS, α 0.99, 1000 source-only iterations, then 250 of
# adaptation) plus rare-class sampling and the thing-class ImageNet feature distance of
# ../_base_/adaptations/tranheden2021.py. The class-pixel counts come from the day frames:
#   python tools/compute_label_stats.py configs/dacs/camvid_day2dusk_lite0_daformer.py \
#       --out work_dirs/label_stats/camvid_day.json
# Differences from DAFormer's GTA5 recipe, each because of the CamVid protocol:
# - the things are CamVid's sign_symbol, car, pedestrian and bicyclist (DAFormer's traffic
#   light / sign, person, rider, car, truck, bus, train, motorcycle and bicycle; its things do
#   not include pole, nor CamVid's fence);
# - `min_pixels` 64 instead of 3000: 3000 scaled by the area of a 240x180 CamVid frame against a
#   1914x1052 GTA5 label (no CamVid frame holds 3000 pedestrian pixels);
# - the teacher at α 0.99 (DACS's) rather than 0.999, and no pseudo-label crop: 250 adaptation
#   iterations would leave an α 0.999 teacher at 78 % of the warm-up model, and CamVid frames
#   have neither the ego vehicle nor the rectification border the crop removes in Cityscapes;
# - the SGD poly schedule of the Tables 2-3 matrix, not AdamW with a learning-rate warm-up: the
#   rows continue from the shared source-only warm-up model.
_base_ = ['./camvid_day2dusk_lite0.py']
train_dataloader = dict(dataset=dict(rare_class_sampling=dict(
    stats_file='work_dirs/label_stats/camvid_day.json', class_temp=0.01, min_pixels=64,
    min_crop_ratio=0.5)))
model = dict(adaptations=dict(fd={{_base_.fd_things_camvid}}))
