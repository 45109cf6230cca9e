from .post_cards import register as register
