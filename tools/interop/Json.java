// JSON strings as Python's json.dumps(..., ensure_ascii=False) writes them,
// except lone surrogates, which UTF-8 cannot carry: those are \\udxxx escapes.
final class Json {
    static String str(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                default:
                    boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(i + 1));
                    if (c < 0x20 || (Character.isSurrogate(c) && !pair
                            && !(Character.isLowSurrogate(c) && i > 0
                                 && Character.isHighSurrogate(s.charAt(i - 1))))) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
