# ./gta2cs_deeplabv2_r101_1xb1.py with the four-branch DeepLab-v2 classifier (dilations 6, 12,
# 18 and 24 summed, as the DeepLab-v2 paper describes it) instead of the two branches the
# reference code actually sums (its Classifier_Module returns inside its loop). Not the
# network behind the papers' numbers; the AdaptSegNet authors note that fixing the bug "may
# require other hyperparameters tuning" (AdaptSegNet issues #20, #60).
_base_ = ['./gta2cs_deeplabv2_r101_1xb1.py']
model = dict(segmentor=dict(decode_head=dict(dilations=(6, 12, 18, 24))))
