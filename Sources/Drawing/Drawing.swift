// The Drawing target: pictures and tables with no knowledge of models: SVG documents and line
// charts (`SVGDocument`, `SVGChart`, `AxisTicks`), heatmap colours and terminal heatmaps
// (`HeatmapPalette`, `AttentionHeatmap`), grids of attention heatmaps as SVG (`AttentionGridSVG`),
// terminal text widths and aligned tables. Everything takes plain numbers and labels.
