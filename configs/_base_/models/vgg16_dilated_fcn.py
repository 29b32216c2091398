# The adaptation configs' model: UDASegmentor around the plain MMSeg EncoderDecoder of the base
# below (the source-only configs' model, described there).
_base_ = ['./plain/vgg16_dilated_fcn.py']
model = dict(_delete_=True, type='UDASegmentor', warmup_iters=0, segmentor={{_base_.model}})
