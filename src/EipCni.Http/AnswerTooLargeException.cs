using System.Buffers;

namespace EipCni.Http;

/// <summary>An answer longer than its reader allows. Nothing past the limit was read.</summary>
public sealed class AnswerTooLargeException : Exception
{
    public AnswerTooLargeException(int limit, long? announced)
        : base(announced is { } n
            ? $"the answer announces {AnswerLimits.Size(n)} (Content-Length), more than the {AnswerLimits.Size(limit)} allowed"
            : $"the answer is larger than the {AnswerLimits.Size(limit)} allowed")
    {
        Limit = limit;
    }

    public int Limit { get; }
}
