/**
 * The people of the fake lake's cities: what the `location` dimension's personal columns are
 * drawn from. Values are typical of each country's population (accents, compound first names,
 * a few apostrophes), so that masking and pseudonymization are tested on honest data.
 *
 * Only constants live here; model.ts renders them as small seed tables (one row per name, street
 * or domain, with its index) and every draw stays in SQL through `u(key, salt)`.
 */

export interface CountryPeople {
  readonly countryId: number;
  /** First names, most common first (draws favour the head of the list). */
  readonly firstNames: readonly string[];
  /** Surnames, most common first. */
  readonly lastNames: readonly string[];
  /** Share of people who give both surnames (`González Pérez`). */
  readonly twoSurnames: number;
  /** Street names, never with a digit (the house number follows them). */
  readonly streets: readonly string[];
  /** How an apartment follows the street and number (`, Dpto 302`). */
  readonly unit: string;
  /** An apartment's number: floor and door as digits (`302`), or floor then door letter (`7 B`). */
  readonly unitDoor: 'number' | 'letter';
  /** How a warehouse's unit follows it (`, Bodega 12`). */
  readonly warehouseUnit: string;
  /** Recipients' e-mail domains, most used first. */
  readonly mailDomains: readonly string[];
  /** Top-level domain of the country's companies (`andesretail.cl`). */
  readonly companyTld: string;
  /** E.164 country calling code. */
  readonly callingCode: string;
  /** Mobile numbers: their possible leading digits (all one length) and national length, or null where mobiles use the city's area code. */
  readonly mobile: { readonly leads: readonly string[]; readonly digits: number } | null;
}

export interface CityPhone {
  /** Landline area code (national, without trunk prefix). */
  readonly areaCode: string;
  /** National significant number length of a landline (area code included). */
  readonly digits: number;
}

export const PEOPLE: readonly CountryPeople[] = [
  {
    countryId: 1, // Chile
    firstNames: [
      'José', 'María', 'Juan', 'Francisca', 'Matías', 'Camila', 'Benjamín', 'Valentina', 'Sebastián', 'Constanza',
      'María José', 'Cristóbal', 'Javiera', 'Tomás', 'Catalina', 'Vicente', 'Fernanda', 'Joaquín', 'Antonia',
      'Juan Pablo', 'Ignacio', 'Isidora', 'Martín', 'Sofía', 'José Tomás', 'Agustín',
    ],
    lastNames: [
      'González', 'Muñoz', 'Rojas', 'Díaz', 'Pérez', 'Soto', 'Contreras', 'Silva', 'Martínez', 'Sepúlveda',
      'Morales', 'Rodríguez', 'López', 'Fuentes', 'Hernández', 'Torres', 'Araya', 'Flores', 'Espinoza',
      'Valenzuela', 'Castillo', 'Núñez', 'Peña', 'Ibáñez', "O'Ryan", "O'Higgins",
    ],
    twoSurnames: 0.35,
    streets: [
      'Av. Providencia', "Av. Libertador Bernardo O'Higgins", 'Av. Apoquindo', 'Calle Merced', 'Av. Irarrázaval',
      'Calle Huérfanos', 'Av. Vicuña Mackenna', 'Pasaje Los Aromos', 'Av. Los Leones', 'Calle Ñuble', 'Av. Grecia',
      'Calle San Martín', 'Av. Pedro de Valdivia', 'Calle Almirante Barroso', 'Av. Colón', 'Calle Los Carrera',
      'Av. Matta', 'Calle Bandera', 'Av. Independencia', 'Calle Condell',
    ],
    unit: 'Dpto ',
    unitDoor: 'number',
    warehouseUnit: 'Bodega ',
    mailDomains: ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com', 'live.cl'],
    companyTld: 'cl',
    callingCode: '56',
    mobile: { leads: ['9'], digits: 9 },
  },
  {
    countryId: 2, // Peru
    firstNames: [
      'José', 'María', 'Luis', 'Rosa', 'Carlos', 'Ana', 'Jorge', 'Carmen', 'Juan Carlos', 'Lucía', 'Miguel',
      'Milagros', 'Jesús', 'Fiorella', 'Alejandro', 'María del Carmen', 'Renzo', 'Ximena', 'Diego', 'Gianella',
      'Piero', 'Luz María', 'Jhon', 'Yolanda', 'Andrea',
    ],
    lastNames: [
      'Quispe', 'Flores', 'Sánchez', 'Rodríguez', 'García', 'Huamán', 'Mamani', 'Chávez', 'Rojas', 'Mendoza',
      'Díaz', 'Torres', 'Vásquez', 'Ramírez', 'Castillo', 'Espinoza', 'Gutiérrez', 'Condori', 'Cárdenas',
      'Huanca', 'Peña', 'Núñez', 'Yupanqui', 'Ríos', 'Salazar', 'Paredes',
    ],
    twoSurnames: 0.4,
    streets: [
      'Av. Larco', 'Jr. de la Unión', 'Av. Arequipa', 'Av. Javier Prado Este', 'Jr. Huallaga', 'Av. Angamos Oeste',
      'Calle Las Begonias', 'Av. La Marina', 'Jr. Ucayali', 'Av. José Pardo', 'Calle Schell', 'Av. Brasil',
      'Av. Benavides', 'Jr. Áncash', 'Av. Túpac Amaru', 'Calle Mercaderes', 'Av. Ejército', 'Jr. Junín',
      'Av. El Sol', 'Calle Santa Catalina',
    ],
    unit: 'Dpto ',
    unitDoor: 'number',
    warehouseUnit: 'Almacén ',
    mailDomains: ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com', 'yahoo.es'],
    companyTld: 'com.pe',
    callingCode: '51',
    mobile: { leads: ['9'], digits: 9 },
  },
  {
    countryId: 3, // Colombia
    firstNames: [
      'Juan', 'María', 'Andrés', 'Luisa', 'Santiago', 'Valentina', 'Carlos', 'Daniela', 'Juan David', 'Natalia',
      'Alejandro', 'María Fernanda', 'Sebastián', 'Paola', 'Felipe', 'Catalina', 'Julián', 'Mariana', 'Camilo',
      'Luz Ángela', 'Mateo', 'Laura', 'Óscar', 'Juan Sebastián', 'Ángela',
    ],
    lastNames: [
      'Rodríguez', 'Gómez', 'González', 'Martínez', 'García', 'López', 'Hernández', 'Sánchez', 'Ramírez', 'Pérez',
      'Díaz', 'Muñoz', 'Rojas', 'Moreno', 'Jiménez', 'Álvarez', 'Romero', 'Valencia', 'Ospina', 'Zuluaga',
      'Restrepo', 'Cárdenas', 'Castaño', 'Peña', 'Núñez',
    ],
    twoSurnames: 0.35,
    streets: [
      'Av. Boyacá', 'Av. El Dorado', 'Carrera Séptima', 'Av. Caracas', 'Calle Real', 'Av. Las Palmas', 'Av. El Poblado',
      'Carrera Junín', 'Av. Circunvalar', 'Calle del Arsenal', 'Av. Roosevelt', 'Av. Santander', 'Calle de la Esperanza',
      'Av. Ciudad de Cali', 'Carrera Bolívar', 'Av. Américas', 'Calle Colombia', 'Av. Pasoancho', 'Av. Olaya Herrera',
      'Calle San Juan',
    ],
    unit: 'Apto ',
    unitDoor: 'number',
    warehouseUnit: 'Bodega ',
    mailDomains: ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com', 'yahoo.es'],
    companyTld: 'com.co',
    callingCode: '57',
    // Colombian mobile operators' prefixes
    mobile: { leads: ['300', '301', '302', '304', '305', '310', '311', '312', '313', '314', '315', '316', '317', '318', '319', '320', '321', '322', '323', '350', '351'], digits: 10 },
  },
  {
    countryId: 4, // Mexico
    firstNames: [
      'José', 'María', 'Juan', 'Guadalupe', 'José Luis', 'Fernanda', 'Luis', 'María Guadalupe', 'Miguel', 'Ximena',
      'Jesús', 'Sofía', 'Juan Carlos', 'Daniela', 'Alejandro', 'Regina', 'Ángel', 'Valeria', 'Emiliano', 'Itzel',
      'Diego', 'Ana Sofía', 'Eduardo', 'Brenda', 'Luis Ángel',
    ],
    lastNames: [
      'Hernández', 'García', 'Martínez', 'López', 'González', 'Pérez', 'Rodríguez', 'Sánchez', 'Ramírez', 'Cruz',
      'Flores', 'Gómez', 'Morales', 'Vázquez', 'Jiménez', 'Reyes', 'Díaz', 'Torres', 'Gutiérrez', 'Ruiz',
      'Mendoza', 'Aguilar', 'Ortiz', 'Ibarra', 'Peña', 'Núñez',
    ],
    twoSurnames: 0.4,
    streets: [
      'Calle Ignacio Zaragoza', 'Av. Insurgentes Sur', 'Paseo de la Reforma', 'Av. Juárez', 'Calle Madero',
      'Av. Revolución', 'Calle Hidalgo', 'Av. Chapultepec', 'Calle Morelos', 'Av. Vallarta', 'Calle Allende',
      'Av. Constitución', 'Calle Guerrero', 'Av. Universidad', 'Calle Álvaro Obregón', 'Calzada de Tlalpan',
      'Av. Patriotismo', 'Calle Emiliano Zapata', 'Av. Lázaro Cárdenas', 'Calle Niños Héroes',
    ],
    unit: 'Int. ',
    unitDoor: 'number',
    warehouseUnit: 'Nave ',
    mailDomains: ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com.mx', 'yahoo.com'],
    companyTld: 'com.mx',
    callingCode: '52',
    mobile: null, // Mexican mobiles are 10 digits starting with the city's area code
  },
  {
    countryId: 5, // Argentina
    firstNames: [
      'Juan', 'María', 'Santiago', 'Sofía', 'Mateo', 'Martina', 'Juan Martín', 'Valentina', 'Benjamín', 'Lucía',
      'Facundo', 'Camila', 'Nicolás', 'María Laura', 'Joaquín', 'Agustina', 'Tomás', 'Florencia', 'Lautaro',
      'Milagros', 'Franco', 'Julieta', 'Ana Paula', 'Gonzalo', 'Micaela',
    ],
    lastNames: [
      'González', 'Rodríguez', 'Gómez', 'Fernández', 'López', 'Díaz', 'Martínez', 'Pérez', 'García', 'Sánchez',
      'Romero', 'Sosa', 'Álvarez', 'Torres', 'Ruiz', 'Ramírez', 'Flores', 'Benítez', 'Acosta', 'Medina',
      'Russo', 'Ferrari', "D'Angelo", "O'Brien", 'Peña', 'Núñez',
    ],
    twoSurnames: 0.05,
    streets: [
      'Av. Corrientes', 'Av. Santa Fe', 'Av. Rivadavia', 'Calle Florida', 'Av. Cabildo', 'Av. Callao', 'Calle Lavalle',
      'Av. Córdoba', 'Calle Tucumán', 'Av. Pellegrini', 'Calle San Martín', 'Av. Colón', 'Bv. Oroño', 'Calle Sarmiento',
      'Av. Belgrano', 'Calle Güemes', 'Av. Las Heras', 'Calle Maipú', 'Av. Nueve de Julio', 'Calle Esmeralda',
    ],
    unit: 'Piso ',
    unitDoor: 'letter',
    warehouseUnit: 'Galpón ',
    mailDomains: ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com.ar', 'hotmail.com.ar'],
    companyTld: 'com.ar',
    callingCode: '54',
    // E.164 mobiles in Argentina carry a 9 and 11 digits; the lake keeps the 10-digit form
    // (area code + subscriber), as many shippers' systems do.
    mobile: null,
  },
];

/** Shares (cumulative) of the recipients' mail domains, in the order of `mailDomains`. */
export const MAIL_DOMAIN_SHARES = [0.5, 0.72, 0.84, 0.93, 1] as const;
