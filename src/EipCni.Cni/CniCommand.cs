namespace EipCni.Cni;

/// <summary>The CNI verbs.</summary>
public enum CniCommand { Add, Del, Check, Gc, Status, Version }
