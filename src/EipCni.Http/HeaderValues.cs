namespace EipCni.Http;

/// <summary>
/// Checks what becomes an HTTP header value (a token, an AccessKey ID) or a signing key before it is used: a line break
/// would add a header line of the attacker's choosing to a signed request. The result says what is wrong, never the value.
/// </summary>
public static class HeaderValues
{
    /// <summary>Null when <paramref name="value"/> is 1 to <paramref name="maxLength"/> characters of visible ASCII (no space); else what is wrong.</summary>
    public static string? VisibleAsciiProblem(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value)) return "is empty";
        if (value.Length > maxLength) return $"is longer than {maxLength} characters";
        foreach (var c in value)
        {
            if (c is '\r' or '\n') return "contains a line break";
            if (char.IsControl(c)) return "contains a control character";
            if (c == ' ') return "contains a space";
            if (c > '~') return "contains a character that is not ASCII";
        }
        return null;
    }

    /// <summary>Null when <paramref name="value"/> is 1 to <paramref name="maxLength"/> of <c>A-Z a-z 0-9 . _ -</c> (IDs and names); else what is wrong.</summary>
    public static string? IdentifierProblem(string? value, int maxLength)
    {
        if (VisibleAsciiProblem(value, maxLength) is { } problem) return problem;
        foreach (var c in value!)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return "contains a character other than letters, digits, '.', '_' and '-'";
        return null;
    }
}
