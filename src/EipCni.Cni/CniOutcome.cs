namespace EipCni.Cni;

/// <summary>
/// What a verb did. Either the skel answers (ADD prints its result, every verb logs <see cref="Summary"/>), or another
/// process already wrote the whole answer on our stdout and logged it; then only its exit code is left to return.
/// </summary>
public readonly record struct CniOutcome(string Summary, int? AnsweredWithExitCode)
{
    /// <summary>The verb succeeded; the skel writes the answer and the log line.</summary>
    public static CniOutcome Done(string summary) => new(summary, null);

    /// <summary>Another process answered on our stdout (and logged); the skel adds nothing and exits with its code.</summary>
    public static CniOutcome AnsweredBy(int exitCode) => new("", exitCode);
}
