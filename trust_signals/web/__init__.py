"""Pages for people: the seller's benchmark and coaching page, server-rendered HTML with
inline SVG charts, opened by signed links."""
