// The Metrics target: corpus BLEU (Papineni et al. 2002) and chrF (Popović 2015) computed
// exactly as sacreBLEU 2.6.0 does, with its 13a tokenizer, its smoothing and its signature
// line; tested against numbers sacreBLEU produced.
