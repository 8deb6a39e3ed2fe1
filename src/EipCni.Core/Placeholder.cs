namespace EipCni;
