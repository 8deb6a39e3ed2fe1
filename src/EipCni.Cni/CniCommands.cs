namespace EipCni.Cni;

/// <summary>The CNI verbs' names as the spec spells them.</summary>
public static class CniCommands
{
    /// <summary>"ADD", "DEL", …: a switch, not <see cref="Enum.ToString()"/>, whose metadata lookup cost every pod's ADD 2% of its start-up instructions.</summary>
    public static string Name(this CniCommand command) => command switch
    {
        CniCommand.Add => "ADD",
        CniCommand.Del => "DEL",
        CniCommand.Check => "CHECK",
        CniCommand.Gc => "GC",
        CniCommand.Status => "STATUS",
        _ => "VERSION",
    };
}
