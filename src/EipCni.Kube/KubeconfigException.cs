namespace EipCni.Kube;

/// <summary>A kubeconfig that cannot be used; the message names the file and the field (never a credential value).</summary>
public sealed class KubeconfigException : Exception
{
    public KubeconfigException(string source, string field, string problem, Exception? inner = null)
        : base($"kubeconfig {source}: {field}: {problem}", inner)
    {
        Source = source;
        Field = field;
        Problem = problem;
    }

    /// <summary>What is wrong with <see cref="Field"/>, without the file and field.</summary>
    public string Problem { get; }

    /// <summary>The file (or "(text)") the kubeconfig came from.</summary>
    public new string Source { get; }

    /// <summary>The offending field as a path (<c>users[name=eip-cni].user.client-key-data</c>) or a line (<c>line 12</c>).</summary>
    public string Field { get; }
}
