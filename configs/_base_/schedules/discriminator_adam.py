# The discriminators' optimizer of every adaptation schedule beside this file, AdaptSegNet's
# (Tsai et al., CVPR 2018): Adam lr 1e-4, betas (0.9, 0.99). Only a variable: a schedule lists
# this file among its bases and sets optim_wrapper.discriminator = {{_base_.discriminator_adam}}.
discriminator_adam = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99)))
